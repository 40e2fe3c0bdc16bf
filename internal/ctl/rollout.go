package ctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
)

func init() { register(newRolloutCommand) }

func newRolloutCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout SUBCOMMAND",
		Short: "Manage the rollout of Deployments",
		Long: `Manage the rollout of Deployments: watch it, list and go back to earlier
revisions, pause and resume it, or restart every pod.`,
		Example: `  gantryctl rollout status deploy/web
  gantryctl rollout history deploy/web
  gantryctl rollout undo deploy/web --to-revision=2
  gantryctl rollout restart deployment web`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newRolloutStatusCommand(e), newRolloutHistoryCommand(e), newRolloutUndoCommand(e),
		newRolloutPauseCommand(e), newRolloutResumeCommand(e), newRolloutRestartCommand(e))
	return cmd
}

// rolloutNames returns the Deployment names of "deployment NAME..." or
// "deploy/NAME..." arguments.
func rolloutNames(args []string) ([]string, error) {
	kinds, names, err := splitTypeName(args)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("a resource name is required, such as deployment/web")
	}
	for i, k := range kinds {
		if k.Name != apimeta.KindDeployment {
			return nil, fmt.Errorf("%s/%s: no rollout support for a %s (only deployments)", resourceName(k.Name), names[i], k.Name)
		}
	}
	return names, nil
}

// deploymentName prefixes errors and messages the way kubectl names the
// object ("deployment/web").
func deploymentName(name string) string { return resourceName(apimeta.KindDeployment) + "/" + name }

// getDeployment reads one Deployment of the current namespace.
func (e *env) getDeployment(ctx context.Context, name string) (*gantryv1.Deployment, error) {
	cl, err := e.client()
	if err != nil {
		return nil, err
	}
	rctx, cancel := e.requestCtx(ctx)
	defer cancel()
	obj, err := cl.Get(rctx, apimeta.KindDeployment, e.namespace(), name)
	if err != nil {
		return nil, err
	}
	return obj.GetDeployment(), nil
}

// replicaSetsOf lists the ReplicaSets d's selector matches; callers keep
// the ones d controls (deployutil.OwnedReplicaSets), as kubectl does.
func (e *env) replicaSetsOf(ctx context.Context, d *gantryv1.Deployment) ([]*gantryv1.ReplicaSet, error) {
	cl, err := e.client()
	if err != nil {
		return nil, err
	}
	sel, err := selector.FromLabelSelector(d.GetSpec().GetSelector())
	if err != nil {
		return nil, fmt.Errorf("spec.selector: %w", err)
	}
	rctx, cancel := e.requestCtx(ctx)
	defer cancel()
	resp, err := cl.ListAll(rctx, &gantryv1.ListRequest{
		Kind: apimeta.KindReplicaSet, Namespace: d.GetMetadata().GetNamespace(), LabelSelector: sel.String(),
	})
	if err != nil {
		return nil, fmt.Errorf("list ReplicaSets: %w", err)
	}
	out := make([]*gantryv1.ReplicaSet, 0, len(resp.GetItems()))
	for _, o := range resp.GetItems() {
		if rs := o.GetReplicaSet(); rs != nil {
			out = append(out, rs)
		}
	}
	return out, nil
}
