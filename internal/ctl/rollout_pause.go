package ctl

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
)

// errRestartPaused: a paused Deployment would not roll the restart out.
var errRestartPaused = errors.New("can't restart paused deployment (run rollout resume first)")

func newRolloutPauseCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "pause (TYPE NAME... | TYPE/NAME...)",
		Short: "Stop a Deployment from rolling out template changes",
		Long: `Mark a Deployment paused: the Deployment controller still scales it but
rolls out no template change until it is resumed, so several changes can
go out as one revision.`,
		Example: `  gantryctl rollout pause deploy/web`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.eachDeployment(cmd.Context(), args, "paused", setPaused(true))
		},
	}
}

func newRolloutResumeCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "resume (TYPE NAME... | TYPE/NAME...)",
		Short:   "Resume a paused Deployment",
		Example: `  gantryctl rollout resume deploy/web`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.eachDeployment(cmd.Context(), args, "resumed", setPaused(false))
		},
	}
}

func newRolloutRestartCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "restart (TYPE NAME... | TYPE/NAME...)",
		Short: "Replace every pod of a Deployment by a rollout",
		Long: `Restart a Deployment's pods with a rolling update: the pod template gets the
annotation ` + deployutil.RestartedAtAnnotation + ` set to the current
time, which makes it a new revision.`,
		Example: `  gantryctl rollout restart deploy/web`,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now().UTC().Format(time.RFC3339)
			return e.eachDeployment(cmd.Context(), args, "restarted", restartAt(now))
		},
	}
}

// deploymentMutation changes a Deployment in place; changed false means
// it was already as wanted.
type deploymentMutation func(d *gantryv1.Deployment) (changed bool, err error)

// eachDeployment applies m to every named Deployment with retry on
// conflict, printing "deployment/NAME done" or "... already done".
func (e *env) eachDeployment(ctx context.Context, args []string, done string, m deploymentMutation) error {
	names, err := rolloutNames(args)
	if err != nil {
		return err
	}
	for _, name := range names {
		_, changed, err := e.updateWithRetry(ctx, apimeta.KindDeployment, e.namespace(), name, maxConflictRetries,
			func(_ context.Context, obj *gantryv1.Object) (bool, error) {
				d := obj.GetDeployment()
				if d.GetSpec() == nil {
					d.Spec = &gantryv1.DeploymentSpec{}
				}
				return m(d)
			})
		if err != nil {
			return fmt.Errorf("%s: %w", deploymentName(name), err)
		}
		if changed {
			fmt.Fprintf(e.out(), "%s %s\n", deploymentName(name), done)
		} else {
			fmt.Fprintf(e.out(), "%s already %s\n", deploymentName(name), done)
		}
	}
	return nil
}

func setPaused(paused bool) deploymentMutation {
	return func(d *gantryv1.Deployment) (bool, error) {
		if d.Spec.Paused == paused {
			return false, nil
		}
		d.Spec.Paused = paused
		return true, nil
	}
}

// restartAt stamps the template with now: any new value is a new
// template, and so a rolling replacement of every pod.
func restartAt(now string) deploymentMutation {
	return func(d *gantryv1.Deployment) (bool, error) {
		if d.Spec.Paused {
			return false, errRestartPaused
		}
		if d.Spec.Template == nil {
			d.Spec.Template = &gantryv1.PodTemplateSpec{}
		}
		if d.Spec.Template.Metadata == nil {
			d.Spec.Template.Metadata = &gantryv1.ObjectMeta{}
		}
		m := d.Spec.Template.Metadata
		m.Annotations = maps.Clone(m.Annotations)
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[deployutil.RestartedAtAnnotation] = now
		return true, nil
	}
}
