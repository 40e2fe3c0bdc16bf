package replicaset

import (
	"context"
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxNameRetries is how often a create that lost a generateName collision
// is sent again within one round.
const maxNameRetries = 3

// manage creates or deletes pods so that active matches spec.replicas.
func (c *Controller) manage(ctx context.Context, key string, rs *gantryv1.ReplicaSet, active []*gantryv1.Object) error {
	diff := len(active) - replicas(rs)
	switch {
	case diff < 0:
		n := min(-diff, c.cfg.BurstReplicas)
		c.exp.Expect(key, n, nil)
		return c.createPods(ctx, key, rs, n)
	case diff > 0:
		n := min(diff, c.cfg.BurstReplicas)
		return c.deletePods(ctx, key, rs, podsToDelete(active, n))
	}
	return nil
}

// createPods creates n pods in slow-start rounds: a round that fails stops
// the rest, whose expectations are lowered since they will never be seen.
func (c *Controller) createPods(ctx context.Context, key string, rs *gantryv1.ReplicaSet, n int) error {
	c.log.Debug("creating pods", zap.String("key", key), zap.Int("count", n))
	round := min(n, c.cfg.SlowStartInitialBatch)
	for remaining := n; remaining > 0; {
		failed, err := c.createRound(ctx, rs, round)
		c.exp.LowerCreations(key, failed)
		remaining -= round
		if err != nil {
			c.exp.LowerCreations(key, remaining)
			return fmt.Errorf("create pods for ReplicaSet %s: %d of %d failed, %d skipped: %w", key, failed, round, remaining, err)
		}
		round = min(2*round, remaining)
	}
	return nil
}

// createRound creates count pods, resending those that lost a
// generateName collision, and returns how many failed and the first error.
func (c *Controller) createRound(ctx context.Context, rs *gantryv1.ReplicaSet, count int) (failed int, err error) {
	pending := count
	for attempt := 0; pending > 0; attempt++ {
		ops := make([]*gantryv1.BatchOp, pending)
		for i := range ops {
			ops[i] = ctrl.CreateOp(newPod(rs))
		}
		pending = 0
		for _, r := range ctrl.RunBatch(ctx, c.client, ops, c.cfg.BatchSize, c.cfg.BatchParallelism) {
			switch {
			case r.Err == nil:
				c.rec.Eventf(rs, events.Normal, "SuccessfulCreate", "Created pod: %s", ctrl.Meta(r.Object).GetName())
			case status.Code(r.Err) == codes.AlreadyExists && attempt < maxNameRetries:
				pending++
			default:
				c.rec.Eventf(rs, events.Warning, "FailedCreate", "Error creating: %v", r.Err)
				failed++
				if err == nil {
					err = r.Err
				}
			}
		}
	}
	return failed, err
}

// newPod builds a pod from the ReplicaSet's template. Pods of one round
// share the template's spec and label maps: they are only serialized.
func newPod(rs *gantryv1.ReplicaSet) *gantryv1.Object {
	m, tmpl := rs.GetMetadata(), rs.GetSpec().GetTemplate()
	tm := tmpl.GetMetadata()
	return apimeta.Wrap(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{
			GenerateName: m.GetName() + "-", Namespace: m.GetNamespace(),
			Labels: tm.GetLabels(), Annotations: tm.GetAnnotations(), Finalizers: tm.GetFinalizers(),
			OwnerReferences: []*gantryv1.OwnerReference{ctrl.NewControllerRef(m, apimeta.KindReplicaSet)},
		},
		Spec: tmpl.GetSpec(),
	})
}

// deletePods deletes victims (uid preconditions). Those that fail are
// taken off the expected deletions at once.
func (c *Controller) deletePods(ctx context.Context, key string, rs *gantryv1.ReplicaSet, victims []*gantryv1.Object) error {
	keys := make([]string, len(victims))
	ops := make([]*gantryv1.BatchOp, len(victims))
	for i, p := range victims {
		m := ctrl.Meta(p)
		keys[i] = ctrl.Key(p)
		ops[i] = ctrl.DeleteOp(apimeta.KindPod, m.GetNamespace(), m.GetName(), m.GetUid())
	}
	c.log.Debug("deleting pods", zap.String("key", key), zap.Int("count", len(victims)))
	c.exp.Expect(key, 0, keys)
	var errs []error
	for i, r := range ctrl.RunBatch(ctx, c.client, ops, c.cfg.BatchSize, c.cfg.BatchParallelism) {
		switch {
		case r.Err == nil:
			c.rec.Eventf(rs, events.Normal, "SuccessfulDelete", "Deleted pod: %s", ctrl.Meta(victims[i]).GetName())
		case ctrl.IsNotFound(r.Err):
			// Already gone; its delete event may have come and gone.
			c.exp.DeletionObserved(key, keys[i])
		default:
			c.rec.Eventf(rs, events.Warning, "FailedDelete", "Error deleting: %v", r.Err)
			c.exp.DeletionObserved(key, keys[i])
			errs = append(errs, fmt.Errorf("delete pod %s: %w", keys[i], r.Err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("ReplicaSet %s: %d of %d deletes failed: %w", key, len(errs), len(victims), errors.Join(errs...))
	}
	return nil
}
