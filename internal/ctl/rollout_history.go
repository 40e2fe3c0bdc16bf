package ctl

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/deployutil"
)

func newRolloutHistoryCommand(e *env) *cobra.Command {
	var revision int64
	cmd := &cobra.Command{
		Use:   "history (TYPE NAME... | TYPE/NAME...)",
		Short: "List the revisions of a Deployment",
		Long: `List the revisions of a Deployment: one per ReplicaSet it owns, with the
kubernetes.io/change-cause annotation the revision was made with. With
--revision, print that revision's pod template.`,
		Example: `  gantryctl rollout history deploy/web
  gantryctl rollout history deploy/web --revision=2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := rolloutNames(args)
			if err != nil {
				return err
			}
			if revision < 0 {
				return fmt.Errorf("--revision must be a positive number, not %d", revision)
			}
			for _, name := range names {
				if err := e.rolloutHistory(cmd.Context(), name, revision); err != nil {
					return fmt.Errorf("%s: %w", deploymentName(name), err)
				}
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&revision, "revision", 0, "print the pod template of this revision")
	return cmd
}

func (e *env) rolloutHistory(ctx context.Context, name string, revision int64) error {
	d, err := e.getDeployment(ctx, name)
	if err != nil {
		return err
	}
	all, err := e.replicaSetsOf(ctx, d)
	if err != nil {
		return err
	}
	// Like kubectl, one row per revision; a ReplicaSet without one (not
	// made by the controller) is no revision.
	byRevision := map[int64]*gantryv1.ReplicaSet{}
	for _, rs := range deployutil.OwnedReplicaSets(d, all) {
		if r := deployutil.Revision(rs.GetMetadata()); r > 0 {
			byRevision[r] = rs
		}
	}
	if revision > 0 {
		rs, ok := byRevision[revision]
		if !ok {
			return fmt.Errorf("unable to find revision %d in history", revision)
		}
		fmt.Fprintf(e.out(), "%s with revision #%d\n", deploymentName(name), revision)
		return writePodTemplate(e.out(), revisionTemplate(rs))
	}
	fmt.Fprintln(e.out(), deploymentName(name))
	if len(byRevision) == 0 {
		fmt.Fprintln(e.out(), "No rollout history found.")
		return nil
	}
	w := tabwriter.NewWriter(e.out(), 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "REVISION\tCHANGE-CAUSE")
	for _, r := range slices.Sorted(maps.Keys(byRevision)) {
		cause := byRevision[r].GetMetadata().GetAnnotations()[deployutil.ChangeCauseAnnotation]
		if cause == "" {
			cause = "<none>"
		}
		fmt.Fprintf(w, "%d\t%s\n", r, cause)
	}
	return w.Flush()
}

// revisionTemplate is the ReplicaSet's template with its change cause,
// which kubectl shows among the template's annotations.
func revisionTemplate(rs *gantryv1.ReplicaSet) *gantryv1.PodTemplateSpec {
	t := proto.Clone(rs.GetSpec().GetTemplate()).(*gantryv1.PodTemplateSpec)
	if t == nil {
		t = &gantryv1.PodTemplateSpec{}
	}
	cause, ok := rs.GetMetadata().GetAnnotations()[deployutil.ChangeCauseAnnotation]
	if !ok {
		return t
	}
	if t.Metadata == nil {
		t.Metadata = &gantryv1.ObjectMeta{}
	}
	t.Metadata.Annotations = maps.Clone(t.Metadata.Annotations)
	if t.Metadata.Annotations == nil {
		t.Metadata.Annotations = map[string]string{}
	}
	t.Metadata.Annotations[deployutil.ChangeCauseAnnotation] = cause
	return t
}
