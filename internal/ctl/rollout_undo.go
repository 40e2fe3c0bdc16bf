package ctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
)

func newRolloutUndoCommand(e *env) *cobra.Command {
	var toRevision int64
	cmd := &cobra.Command{
		Use:   "undo (TYPE NAME... | TYPE/NAME...)",
		Short: "Go back to an earlier revision of a Deployment",
		Long: `Go back to an earlier revision of a Deployment: its pod template becomes the
one of that revision's ReplicaSet, which the Deployment controller then
scales back up as the next revision. Without --to-revision, the revision
before the current one.`,
		Example: `  gantryctl rollout undo deploy/web
  gantryctl rollout undo deploy/web --to-revision=3`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := rolloutNames(args)
			if err != nil {
				return err
			}
			if toRevision < 0 {
				return fmt.Errorf("--to-revision must not be negative, not %d", toRevision)
			}
			for _, name := range names {
				msg, err := e.rolloutUndo(cmd.Context(), name, toRevision)
				if err != nil {
					return fmt.Errorf("%s: %w", deploymentName(name), err)
				}
				fmt.Fprintf(e.out(), "%s %s\n", deploymentName(name), msg)
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&toRevision, "to-revision", 0, "the revision to go back to (0: the one before the current)")
	return cmd
}

// rolloutUndo does on the client what kubectl rollout undo does: compute
// the rolled-back Deployment from the ReplicaSets it read and Update it
// with the resource_version it read. On a conflict it reads both again,
// so a rollback never undoes a change it did not see.
func (e *env) rolloutUndo(ctx context.Context, name string, toRevision int64) (string, error) {
	msg := "rolled back"
	_, _, err := e.updateWithRetry(ctx, apimeta.KindDeployment, e.namespace(), name, maxConflictRetries,
		func(ctx context.Context, obj *gantryv1.Object) (bool, error) {
			d := obj.GetDeployment()
			all, err := e.replicaSetsOf(ctx, d)
			if err != nil {
				return false, err
			}
			next, rs, err := deployutil.Rollback(d, all, toRevision)
			if errors.Is(err, deployutil.ErrSameTemplate) {
				msg = fmt.Sprintf("skipped rollback (current template already matches revision %d)", deployutil.Revision(rs.GetMetadata()))
				return false, nil
			}
			if err != nil {
				return false, undoError(name, toRevision, err)
			}
			obj.Kind = &gantryv1.Object_Deployment{Deployment: next}
			return true, nil
		})
	return msg, err
}

// undoError says in kubectl's words why there is nothing to roll back to,
// keeping the deployutil error for errors.Is.
func undoError(name string, toRevision int64, err error) error {
	switch {
	case errors.Is(err, deployutil.ErrNoHistory):
		return fmt.Errorf("no rollout history found for deployment %q: %w", name, err)
	case errors.Is(err, deployutil.ErrRevisionNotFound):
		return fmt.Errorf("unable to find specified revision %d in history: %w", toRevision, err)
	case errors.Is(err, deployutil.ErrPaused):
		return fmt.Errorf("you cannot rollback a paused deployment; resume it first with 'gantryctl rollout resume %s' and try again: %w",
			deploymentName(name), err)
	}
	return err
}
