package replicaset

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/labels"
)

// ReplicaFailure is the condition set while creates or deletes fail.
const ReplicaFailure = "ReplicaFailure"

// syncStatus writes the status computed from the active pods when it
// changed, and re-queues the key for when the next ready pod becomes
// available.
func (c *Controller) syncStatus(ctx context.Context, key string, obj *gantryv1.Object, active []*gantryv1.Object, manageErr error) error {
	rs := obj.GetReplicaSet()
	now := c.clock.Now()
	st, next := calculateStatus(rs, active, manageErr, now)
	if !next.IsZero() {
		c.queue.AddAfter(key, next.Sub(now))
	}
	if proto.Equal(st, rs.GetStatus()) {
		return nil
	}
	upd := proto.Clone(rs).(*gantryv1.ReplicaSet)
	upd.Status = st
	// No resource_version: the status is ours alone and computed from the
	// caches; the uid keeps it off a recreated ReplicaSet.
	upd.Metadata.ResourceVersion = ""
	_, err := c.client.UpdateStatus(ctx, apimeta.Wrap(upd))
	if ctrl.IsNotFound(err) {
		return nil
	}
	return err
}

// calculateStatus counts the pods and returns when the next ready pod
// becomes available (zero when none waits).
func calculateStatus(rs *gantryv1.ReplicaSet, active []*gantryv1.Object, manageErr error, now time.Time) (*gantryv1.ReplicaSetStatus, time.Time) {
	minReady := rs.GetSpec().GetMinReadySeconds()
	tmplLabels := labels.SelectorFromSet(rs.GetSpec().GetTemplate().GetMetadata().GetLabels())
	st := &gantryv1.ReplicaSetStatus{
		Replicas:           int32(len(active)),
		ObservedGeneration: rs.GetMetadata().GetGeneration(),
	}
	var next time.Time
	for _, o := range active {
		p := o.GetPod()
		if tmplLabels.Matches(labels.Set(p.GetMetadata().GetLabels())) {
			st.FullyLabeledReplicas++
		}
		at, ready := ctrl.AvailableAt(p, minReady)
		if !ready {
			continue
		}
		st.ReadyReplicas++
		if !at.After(now) {
			st.AvailableReplicas++
		} else if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	st.Conditions = failureConditions(rs.GetStatus().GetConditions(), manageErr, now)
	return st, next
}

// failureConditions keeps the other conditions and sets or clears
// ReplicaFailure.
func failureConditions(old []*gantryv1.Condition, manageErr error, now time.Time) []*gantryv1.Condition {
	var out []*gantryv1.Condition
	var prev *gantryv1.Condition
	for _, cond := range old {
		if cond.GetType() == ReplicaFailure {
			prev = cond
			continue
		}
		out = append(out, cond)
	}
	if manageErr == nil {
		return out
	}
	cond := &gantryv1.Condition{Type: ReplicaFailure, Status: "True", Reason: "FailedCreateOrDelete",
		Message: truncate(manageErr.Error(), 1024), LastTransitionTime: timestamppb.New(now)}
	if prev != nil && prev.GetStatus() == "True" {
		cond.LastTransitionTime = prev.GetLastTransitionTime()
	}
	return append(out, cond)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
