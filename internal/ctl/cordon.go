package ctl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func init() {
	register(newCordonCommand)
	register(newUncordonCommand)
}

func newCordonCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "cordon NODE...",
		Short: "Mark nodes unschedulable",
		Long: `Mark nodes unschedulable: the scheduler places no new pod on them; the pods
already there keep running (drain evicts them).`,
		Example: `  gantryctl cordon n1`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.cordonAll(cmd.Context(), args, true)
		},
	}
}

func newUncordonCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "uncordon NODE...",
		Short:   "Mark nodes schedulable again",
		Example: `  gantryctl uncordon n1`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.cordonAll(cmd.Context(), args, false)
		},
	}
}

func (e *env) cordonAll(ctx context.Context, nodes []string, unschedulable bool) error {
	for _, n := range nodes {
		if err := e.cordon(ctx, n, unschedulable); err != nil {
			return err
		}
	}
	return nil
}

// cordon sets spec.unschedulable of one node, re-reading on conflict: a
// node agent writes its node's status every few seconds.
func (e *env) cordon(ctx context.Context, node string, unschedulable bool) error {
	name, err := nodeName(node)
	if err != nil {
		return err
	}
	_, changed, err := e.updateWithRetry(ctx, apimeta.KindNode, "", name, maxConflictRetries,
		func(_ context.Context, obj *gantryv1.Object) (bool, error) {
			n := obj.GetNode()
			if n.GetSpec().GetUnschedulable() == unschedulable {
				return false, nil
			}
			if n.Spec == nil {
				n.Spec = &gantryv1.NodeSpec{}
			}
			n.Spec.Unschedulable = unschedulable
			return true, nil
		})
	if err != nil {
		return fmt.Errorf("node/%s: %w", name, err)
	}
	verb := "cordoned"
	if !unschedulable {
		verb = "uncordoned"
	}
	if !changed {
		verb = "already " + verb
	}
	fmt.Fprintf(e.out(), "node/%s %s\n", name, verb)
	return nil
}

// nodeName accepts "n1" and "node/n1" (or "no/n1", "nodes/n1").
func nodeName(arg string) (string, error) {
	if arg == "" {
		return "", errors.New("a node name is required")
	}
	if !strings.Contains(arg, "/") {
		return arg, nil
	}
	kinds, names, err := splitTypeName([]string{arg})
	if err != nil {
		return "", err
	}
	if kinds[0].Name != apimeta.KindNode {
		return "", fmt.Errorf("%q is not a node", arg)
	}
	return names[0], nil
}
