package deployment

import (
	"context"
	"fmt"
	"math"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

func (s *state) progressCond() *gantryv1.Condition {
	return deployutil.Condition(s.d().GetStatus().GetConditions(), deployutil.CondProgressing)
}

// calculateStatus counts the pods of every ReplicaSet and sets Available.
func (s *state) calculateStatus() *gantryv1.DeploymentStatus {
	d := s.d()
	st := &gantryv1.DeploymentStatus{
		ObservedGeneration: d.GetMetadata().GetGeneration(),
		CollisionCount:     collisionCount(d),
		Conditions:         cloneConditions(d.GetStatus().GetConditions()),
	}
	var specSum int32
	for _, r := range s.all() {
		st.Replicas += r.active
		st.ReadyReplicas += r.ready
		st.AvailableReplicas += r.available
		specSum += r.replicas()
	}
	if s.newRS != nil {
		st.UpdatedReplicas = s.newRS.active
	}
	st.UnavailableReplicas = max(specSum-st.AvailableReplicas, 0)
	if st.AvailableReplicas >= desiredReplicas(d)-MaxUnavailable(d) {
		setCondition(st, newCondition(deployutil.CondAvailable, "True", deployutil.ReasonMinimumReplicasAvailable, "Deployment has minimum availability.", s.now))
	} else {
		setCondition(st, newCondition(deployutil.CondAvailable, "False", deployutil.ReasonMinimumReplicasUnavailable, "Deployment does not have minimum availability.", s.now))
	}
	return st
}

// syncStatus writes the status when it changed and re-queues the
// Deployment for the next pod to become available and for its progress
// deadline. With rollout, the Progressing condition is brought up to date.
func (s *state) syncStatus(ctx context.Context, rollout bool) error {
	st := s.calculateStatus()
	s.pausedCondition(st)
	if rollout {
		s.progressCondition(st)
	}
	s.replicaFailure(st)
	s.requeue(st)
	if proto.Equal(st, s.d().GetStatus()) {
		return nil
	}
	d := proto.Clone(s.d()).(*gantryv1.Deployment)
	d.Status = st
	d.Metadata.ResourceVersion = "" // the status is ours alone; the uid guards it
	updated, err := s.c.client.UpdateStatus(ctx, apimeta.Wrap(d))
	if ctrl.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update status of Deployment %s: %w", ctrl.Key(s.obj), err)
	}
	s.obj = updated
	return nil
}

// pausedCondition marks Progressing Unknown while paused and on resume
// (a timed-out rollout keeps its condition).
func (s *state) pausedCondition(st *gantryv1.DeploymentStatus) {
	cur := deployutil.Condition(st.Conditions, deployutil.CondProgressing)
	if cur.GetReason() == deployutil.ReasonProgressDeadlineExceeded {
		return
	}
	paused := s.d().GetSpec().GetPaused()
	switch {
	case paused && cur.GetReason() != deployutil.ReasonPaused:
		setCondition(st, newCondition(deployutil.CondProgressing, "Unknown", deployutil.ReasonPaused, "Deployment is paused", s.now))
	case !paused && cur.GetReason() == deployutil.ReasonPaused:
		setCondition(st, newCondition(deployutil.CondProgressing, "Unknown", deployutil.ReasonResumed, "Deployment is resumed", s.now))
	}
}

// progressCondition sets Progressing as Kubernetes' syncRolloutStatus
// does: NewReplicaSetAvailable when complete, ReplicaSetUpdated (with a
// fresh update time) on progress, ProgressDeadlineExceeded when no
// progress was made for progressDeadlineSeconds.
func (s *state) progressCondition(st *gantryv1.DeploymentStatus) {
	d := s.d()
	if !hasDeadline(d) {
		removeCondition(st, deployutil.CondProgressing)
		return
	}
	name := ""
	if s.newRS != nil {
		name = s.newRS.meta().GetName()
	}
	switch s.pendingReason {
	case deployutil.ReasonNewRSCreated:
		setCondition(st, newCondition(deployutil.CondProgressing, "True", deployutil.ReasonNewRSCreated, fmt.Sprintf("Created new replica set %q", name), s.now))
	case deployutil.ReasonFoundNewRS:
		setCondition(st, newCondition(deployutil.CondProgressing, "True", deployutil.ReasonFoundNewRS, fmt.Sprintf("Found new replica set %q", name), s.now))
	}
	cur := deployutil.Condition(st.Conditions, deployutil.CondProgressing)
	if st.Replicas == st.UpdatedReplicas && cur.GetReason() == deployutil.ReasonNewRSAvailable {
		return
	}
	switch {
	case deploymentComplete(d, st):
		setCondition(st, newCondition(deployutil.CondProgressing, "True", deployutil.ReasonNewRSAvailable, fmt.Sprintf("ReplicaSet %q has successfully progressed.", name), s.now))
	case progressing(d.GetStatus(), st):
		c := newCondition(deployutil.CondProgressing, "True", deployutil.ReasonReplicaSetUpdated, fmt.Sprintf("ReplicaSet %q is progressing.", name), s.now)
		if cur != nil {
			if cur.GetStatus() == "True" {
				c.LastTransitionTime = cur.GetLastTransitionTime()
			}
			removeCondition(st, deployutil.CondProgressing)
		}
		setCondition(st, c)
	case s.timedOut(st):
		setCondition(st, newCondition(deployutil.CondProgressing, "False", deployutil.ReasonProgressDeadlineExceeded, fmt.Sprintf("ReplicaSet %q has timed out progressing.", name), s.now))
	}
}

// replicaFailure copies a ReplicaSet's ReplicaFailure condition (the new
// one's first).
func (s *state) replicaFailure(st *gantryv1.DeploymentStatus) {
	order := s.old()
	if s.newRS != nil {
		order = append([]*rsState{s.newRS}, order...)
	}
	for _, r := range order {
		for _, c := range r.rs().GetStatus().GetConditions() {
			if c.GetType() == deployutil.CondReplicaFailure && c.GetStatus() == "True" {
				setCondition(st, newCondition(deployutil.CondReplicaFailure, "True", c.GetReason(), c.GetMessage(), s.now))
				return
			}
		}
	}
	removeCondition(st, deployutil.CondReplicaFailure)
}

// requeue schedules the next sync for when a ready pod becomes available
// and for just after the progress deadline.
func (s *state) requeue(st *gantryv1.DeploymentStatus) {
	key := ctrl.Key(s.obj)
	var next time.Time
	for _, r := range s.all() {
		if !r.nextAvailable.IsZero() && (next.IsZero() || r.nextAvailable.Before(next)) {
			next = r.nextAvailable
		}
	}
	if !next.IsZero() {
		s.c.queue.AddAfter(key, next.Sub(s.now))
	}
	d := s.d()
	cur := deployutil.Condition(st.Conditions, deployutil.CondProgressing)
	if !hasDeadline(d) || d.GetSpec().GetPaused() || cur == nil || cur.GetReason() == deployutil.ReasonProgressDeadlineExceeded ||
		deploymentComplete(d, st) {
		return
	}
	deadline := cur.GetLastUpdateTime().AsTime().Add(time.Duration(*d.GetSpec().ProgressDeadlineSeconds) * time.Second)
	s.c.queue.AddAfter(key, max(deadline.Sub(s.now), 0)+time.Second)
}

func hasDeadline(d *gantryv1.Deployment) bool {
	p := d.GetSpec().ProgressDeadlineSeconds
	return p != nil && *p != math.MaxInt32
}

// deploymentComplete: every replica is updated and available and the
// status describes the current generation.
func deploymentComplete(d *gantryv1.Deployment, st *gantryv1.DeploymentStatus) bool {
	want := desiredReplicas(d)
	return st.GetUpdatedReplicas() == want && st.GetReplicas() == want && st.GetAvailableReplicas() == want &&
		st.GetObservedGeneration() >= d.GetMetadata().GetGeneration()
}

// progressing reports progress since the last status: more updated, ready
// or available pods, or fewer old ones.
func progressing(old, cur *gantryv1.DeploymentStatus) bool {
	oldOld := old.GetReplicas() - old.GetUpdatedReplicas()
	curOld := cur.GetReplicas() - cur.GetUpdatedReplicas()
	return cur.GetUpdatedReplicas() > old.GetUpdatedReplicas() || curOld < oldOld ||
		cur.GetReadyReplicas() > old.GetReadyReplicas() || cur.GetAvailableReplicas() > old.GetAvailableReplicas()
}

// timedOut reports whether the rollout made no progress for
// progressDeadlineSeconds.
func (s *state) timedOut(st *gantryv1.DeploymentStatus) bool {
	d := s.d()
	c := deployutil.Condition(st.Conditions, deployutil.CondProgressing)
	if !hasDeadline(d) || c == nil || c.GetReason() == deployutil.ReasonNewRSAvailable {
		return false
	}
	if c.GetReason() == deployutil.ReasonProgressDeadlineExceeded {
		return true
	}
	deadline := c.GetLastUpdateTime().AsTime().Add(time.Duration(*d.GetSpec().ProgressDeadlineSeconds) * time.Second)
	return deadline.Before(s.now)
}
