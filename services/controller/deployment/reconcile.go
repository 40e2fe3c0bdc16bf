package deployment

import (
	"context"

	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
)

// reconcile syncs one Deployment, as Kubernetes' syncDeployment does.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	ns, name := ctrl.SplitKey(key)
	obj, ok := c.deploys.Get(ns, name)
	if !ok {
		return nil
	}
	d := obj.GetDeployment()
	sel, err := selector.FromLabelSelector(d.GetSpec().GetSelector())
	if err != nil || sel.Empty() {
		c.log.Warn("ignoring Deployment with an invalid or empty selector", zap.String("key", key), zap.Error(err))
		return nil
	}
	s, err := c.newState(ctx, obj, sel)
	if err != nil {
		return err
	}
	switch {
	case d.GetMetadata().GetDeletionTimestamp() != nil:
		s.findNew()
		return s.syncStatus(ctx, false)
	case d.GetSpec().GetPaused(), s.isScalingEvent():
		return s.sync(ctx)
	case !isRolling(d):
		return s.rolloutRecreate(ctx)
	default:
		return s.rolloutRolling(ctx)
	}
}

// sync scales without rolling out: for paused Deployments and for
// replicas changes in the middle of a rollout.
func (s *state) sync(ctx context.Context) error {
	if err := s.syncRevision(ctx, false); err != nil {
		return err
	}
	if err := s.scale(ctx); err != nil {
		return err
	}
	if s.d().GetSpec().GetPaused() {
		if err := s.cleanup(ctx); err != nil {
			return err
		}
	}
	return s.syncStatus(ctx, false)
}

// rolloutRolling moves one step of a rolling update: scale the new
// ReplicaSet up within the surge, else scale old ones down within the
// availability bound, else (when done) clean old revisions up.
func (s *state) rolloutRolling(ctx context.Context) error {
	if err := s.syncRevision(ctx, true); err != nil {
		return err
	}
	scaled, err := s.reconcileNew(ctx)
	if err != nil || scaled {
		return joinStatus(err, s.syncStatus(ctx, true))
	}
	scaled, err = s.reconcileOld(ctx)
	if err != nil || scaled {
		return joinStatus(err, s.syncStatus(ctx, true))
	}
	if deploymentComplete(s.d(), s.calculateStatus()) {
		if err := s.cleanup(ctx); err != nil {
			return err
		}
	}
	return s.syncStatus(ctx, true)
}

// rolloutRecreate scales every old ReplicaSet to zero, waits until their
// pods are gone, then scales the new one up.
func (s *state) rolloutRecreate(ctx context.Context) error {
	if err := s.syncRevision(ctx, false); err != nil {
		return err
	}
	scaledDown := false
	for _, r := range active(s.old()) {
		scaled, err := s.scaleRS(ctx, r, 0)
		if err != nil {
			return err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown || s.oldPodsRunning() {
		return s.syncStatus(ctx, true)
	}
	if s.newRS == nil {
		if err := s.syncRevision(ctx, true); err != nil {
			return err
		}
	}
	if _, err := s.scaleRS(ctx, s.newRS, desiredReplicas(s.d())); err != nil {
		return err
	}
	if deploymentComplete(s.d(), s.calculateStatus()) {
		if err := s.cleanup(ctx); err != nil {
			return err
		}
	}
	return s.syncStatus(ctx, true)
}

// oldPodsRunning reports whether an old ReplicaSet still has a pod that is
// not finished (terminating pods included) or reports one.
func (s *state) oldPodsRunning() bool {
	for _, r := range s.old() {
		if r.running > 0 || r.rs().GetStatus().GetReplicas() > 0 {
			return true
		}
	}
	return false
}

// joinStatus returns the scaling error if any, else the status error.
func joinStatus(scaleErr, statusErr error) error {
	if scaleErr != nil {
		return scaleErr
	}
	return statusErr
}
