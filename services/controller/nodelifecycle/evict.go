package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/taints"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
)

// activeTaint is a NoExecute taint that evicts now, and since when.
type activeTaint struct {
	taint *gantryv1.Taint
	since time.Time
}

// activeTaints returns the node's NoExecute taints that evict. The
// lifecycle taints evict only while this controller sees what they say:
// unreachable while the node's signs of life are older than the grace
// period (so a taint left by a previous leader, or one not yet removed
// from a node that came back, evicts nothing), not-ready while the node
// reports Ready=False. Other NoExecute taints always evict.
func (c *Controller) activeTaints(n *gantryv1.Node, stale bool, now time.Time) []activeTaint {
	var out []activeTaint
	name := n.GetMetadata().GetName()
	for _, t := range n.GetSpec().GetTaints() {
		if t.GetEffect() != taints.NoExecute {
			continue
		}
		switch t.GetKey() {
		case taints.Unreachable:
			if !stale {
				continue
			}
		case taints.NotReady:
			if readyStatus(n) != StatusFalse {
				continue
			}
		}
		var added time.Time
		if t.GetTimeAdded() != nil {
			added = t.GetTimeAdded().AsTime()
		}
		out = append(out, activeTaint{taint: t, since: c.seen.taintStart(name, t.GetKey(), added, now)})
	}
	return out
}

// evictAt returns when pod must leave a node with active taints: at once
// for a taint it does not tolerate, else when the first toleration runs
// out (counted from its taint's start); never is true when it tolerates
// them all for ever.
func evictAt(pod *gantryv1.Pod, active []activeTaint) (at time.Time, never bool) {
	never = true
	for _, a := range active {
		d, ok := taints.TolerationTime(pod.GetSpec().GetTolerations(), a.taint)
		if !ok {
			return time.Time{}, false
		}
		if d == taints.Forever {
			continue
		}
		if t := a.since.Add(d); never || t.Before(at) {
			at, never = t, false
		}
	}
	return at, never
}

// evict deletes the node's pods whose tolerations ran out and queues the
// node for the next one due.
func (c *Controller) evict(ctx context.Context, n *gantryv1.Node, stale bool, now time.Time) error {
	active := c.activeTaints(n, stale, now)
	if len(active) == 0 {
		return nil
	}
	name := n.GetMetadata().GetName()
	pods := ctrl.MustList(c.pods, indexNodeName, name)
	if len(pods) == 0 {
		return nil
	}
	if c.assess(now).braked {
		c.queue.AddAfter(name, c.cfg.MonitorPeriod)
		return nil
	}
	var due []*gantryv1.Pod
	var next time.Time
	for _, o := range pods {
		p := o.GetPod()
		if p.GetMetadata().GetDeletionTimestamp() != nil {
			continue
		}
		at, never := evictAt(p, active)
		switch {
		case never:
		case !at.After(now):
			due = append(due, p)
		case next.IsZero() || at.Before(next):
			next = at
		}
	}
	if !next.IsZero() {
		c.queue.AddAfter(name, next.Sub(now))
	}
	return c.deletePods(ctx, name, due, active)
}

// deletePods deletes pods (each only if its uid is still the one seen),
// in Batch calls.
func (c *Controller) deletePods(ctx context.Context, node string, pods []*gantryv1.Pod, active []activeTaint) error {
	if len(pods) == 0 {
		return nil
	}
	ops := make([]*gantryv1.BatchOp, len(pods))
	for i, p := range pods {
		m := p.GetMetadata()
		ops[i] = ctrl.DeleteOp(apimeta.KindPod, m.GetNamespace(), m.GetName(), m.GetUid())
	}
	keys := make([]string, len(active))
	for i, a := range active {
		keys[i] = a.taint.GetKey()
	}
	var errs []error
	for i, r := range ctrl.RunBatch(ctx, c.client, ops, ctrl.MaxBatchOps, 2) {
		m := pods[i].GetMetadata()
		switch {
		case r.Err == nil:
			c.evictions.Add(1)
			c.rec.Eventf(pods[i], events.Normal, "TaintManagerEviction", "Marking for deletion Pod %s/%s", m.GetNamespace(), m.GetName())
			c.log.Info("evicted pod", zap.String("node", node), zap.String("pod", m.GetNamespace()+"/"+m.GetName()), zap.Strings("taints", keys))
		case ctrl.IsNotFound(r.Err) || ctrl.IsConflict(r.Err):
			// Gone, or replaced by another pod of the same name.
		default:
			errs = append(errs, fmt.Errorf("evict pod %s/%s from node %s: %w", m.GetNamespace(), m.GetName(), node, r.Err))
		}
	}
	return errors.Join(errs...)
}
