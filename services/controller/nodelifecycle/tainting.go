package nodelifecycle

import (
	"context"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/taints"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// wantedTaint returns the lifecycle taint key the node's Ready status
// calls for ("" for none), as Kubernetes derives it.
func wantedTaint(n *gantryv1.Node) string {
	switch readyStatus(n) {
	case StatusFalse:
		return taints.NotReady
	case StatusUnknown:
		return taints.Unreachable
	}
	return ""
}

// lifecycleTaints returns the node's lifecycle taint keys.
func lifecycleTaints(n *gantryv1.Node) []string {
	var out []string
	for _, t := range n.GetSpec().GetTaints() {
		if taints.IsLifecycle(t) {
			out = append(out, t.GetKey())
		}
	}
	return out
}

// syncTaints makes the node's lifecycle taints match its Ready status.
// It reports whether it wrote (or must wait): the node's next event, or
// the queue, brings it back. Removing or swapping a taint is never
// limited; adding one needs the brake off and, when pods run on the node
// (there is something to evict), a token from the limiter: tainting empty
// nodes (new ones, not Ready yet) must not delay the next real eviction.
func (c *Controller) syncTaints(ctx context.Context, n *gantryv1.Node, now time.Time) (bool, error) {
	want, have := wantedTaint(n), lifecycleTaints(n)
	if (want == "" && len(have) == 0) || (len(have) == 1 && have[0] == want) {
		return false, nil
	}
	name := n.GetMetadata().GetName()
	if want != "" && len(have) == 0 {
		if c.assess(now).braked {
			c.queue.AddAfter(name, c.cfg.MonitorPeriod)
			return true, nil
		}
		if c.hasPods(name) {
			if ok, wait := c.limiter.take(now); !ok {
				c.queue.AddAfter(name, wait)
				return true, nil
			}
		}
	}
	out := proto.Clone(n).(*gantryv1.Node)
	if out.Spec == nil {
		out.Spec = &gantryv1.NodeSpec{}
	}
	kept := out.Spec.Taints[:0]
	for _, t := range out.Spec.Taints {
		if !taints.IsLifecycle(t) {
			kept = append(kept, t)
		}
	}
	out.Spec.Taints = kept
	if want != "" {
		out.Spec.Taints = append(out.Spec.Taints, &gantryv1.Taint{Key: want, Effect: taints.NoExecute, TimeAdded: timestamppb.New(now)})
	}
	if _, err := c.client.Update(ctx, apimeta.Wrap(out)); err != nil {
		return true, fmt.Errorf("node %s: set taints %v (had %v): %w", name, want, have, err)
	}
	if want != "" {
		c.tainted.Add(1)
	}
	c.log.Info("node taints", zap.String("node", name), zap.String("ready", readyStatus(n)),
		zap.Strings("removed", have), zap.String("added", want))
	return true, nil
}

// hasPods reports whether any pod not being deleted is bound to node.
func (c *Controller) hasPods(node string) bool {
	for _, o := range ctrl.MustList(c.pods, indexNodeName, node) {
		if o.GetPod().GetMetadata().GetDeletionTimestamp() == nil {
			return true
		}
	}
	return false
}
