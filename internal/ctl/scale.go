package ctl

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func init() { register(newScaleCommand) }

type scaleOptions struct {
	replicas        int
	currentReplicas int
	resourceVersion string
}

func newScaleCommand(e *env) *cobra.Command {
	o := &scaleOptions{}
	cmd := &cobra.Command{
		Use:   "scale (TYPE NAME... | TYPE/NAME...) --replicas=COUNT",
		Short: "Set the number of replicas of Deployments and ReplicaSets",
		Long: `Set the number of replicas of Deployments and ReplicaSets.

With --current-replicas or --resource-version the scale happens only if the
object still has that many replicas, or that version.`,
		Example: `  gantryctl scale deployment web --replicas=3
  gantryctl scale deploy/web rs/cache --replicas=0
  gantryctl scale deploy/web --current-replicas=2 --replicas=3`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("replicas") || o.replicas < 0 || o.replicas > math.MaxInt32 {
				return errors.New("the --replicas=COUNT flag is required, and COUNT must be between 0 and 2147483647")
			}
			return e.scale(cmd.Context(), args, o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.replicas, "replicas", 0, "the new number of replicas (required)")
	f.IntVar(&o.currentReplicas, "current-replicas", -1, "scale only if the current number of replicas is this (-1: any)")
	f.StringVar(&o.resourceVersion, "resource-version", "", "scale only if the object's resource_version is this (no retry on conflict)")
	return cmd
}

func (e *env) scale(ctx context.Context, args []string, o *scaleOptions) error {
	kinds, names, err := splitTypeName(args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("a resource name is required, such as deployment/web")
	}
	for i, name := range names {
		kind := kinds[i].Name
		if kind != apimeta.KindDeployment && kind != apimeta.KindReplicaSet {
			return fmt.Errorf("%s/%s: cannot scale a %s (only deployments and replicasets)", resourceName(kind), name, kind)
		}
		if err := e.scaleOne(ctx, kind, name, o); err != nil {
			return fmt.Errorf("%s/%s: %w", resourceName(kind), name, err)
		}
		fmt.Fprintf(e.out(), "%s/%s scaled\n", resourceName(kind), name)
	}
	return nil
}

// scaleOne sets spec.replicas with the resource_version it read (or the
// one given), re-reading on conflict so that --current-replicas is
// checked against the state actually replaced.
func (e *env) scaleOne(ctx context.Context, kind, name string, o *scaleOptions) error {
	attempts := maxConflictRetries
	if o.resourceVersion != "" {
		attempts = 1 // the version was the precondition: a conflict is the answer
	}
	_, _, err := e.updateWithRetry(ctx, kind, e.namespace(), name, attempts, func(_ context.Context, obj *gantryv1.Object) (bool, error) {
		if o.resourceVersion != "" {
			apimeta.Meta(obj).ResourceVersion = o.resourceVersion
		}
		ptr := replicasField(obj)
		if ptr == nil {
			return false, fmt.Errorf("the server returned a %s without a spec", apimeta.KindOf(obj))
		}
		cur := int32(1) // the API's default when unset
		if *ptr != nil {
			cur = **ptr
		}
		if o.currentReplicas >= 0 && int(cur) != o.currentReplicas {
			return false, fmt.Errorf("expected replicas to be %d, was %d", o.currentReplicas, cur)
		}
		if *ptr != nil && int(cur) == o.replicas && o.resourceVersion == "" {
			return false, nil
		}
		n := int32(o.replicas)
		*ptr = &n
		return true, nil
	})
	return err
}

// replicasField returns where spec.replicas lives in a Deployment or
// ReplicaSet (nil for other kinds or a missing spec).
func replicasField(obj *gantryv1.Object) **int32 {
	switch k := obj.GetKind().(type) {
	case *gantryv1.Object_Deployment:
		if k.Deployment.GetSpec() != nil {
			return &k.Deployment.Spec.Replicas
		}
	case *gantryv1.Object_ReplicaSet:
		if k.ReplicaSet.GetSpec() != nil {
			return &k.ReplicaSet.Spec.Replicas
		}
	}
	return nil
}
