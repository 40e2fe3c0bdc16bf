package deployment

import (
	"context"
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

// scaleRS sets r's replicas to n and its desired/max annotations to the
// Deployment's; it reports whether the size changed. The write carries
// the cached resource_version.
func (s *state) scaleRS(ctx context.Context, r *rsState, n int32) (bool, error) {
	d := s.d()
	desired := strconv.FormatInt(int64(desiredReplicas(d)), 10)
	maxReplicas := strconv.FormatInt(int64(desiredReplicas(d)+MaxSurge(d)), 10)
	ann := r.meta().GetAnnotations()
	sizeChanged := r.replicas() != n
	if !sizeChanged && ann[deployutil.DesiredReplicasAnnotation] == desired && ann[deployutil.MaxReplicasAnnotation] == maxReplicas {
		return false, nil
	}
	rs := proto.Clone(r.rs()).(*gantryv1.ReplicaSet)
	rs.Spec.Replicas = &n
	rs.Metadata.Annotations = maps.Clone(rs.Metadata.Annotations)
	if rs.Metadata.Annotations == nil {
		rs.Metadata.Annotations = map[string]string{}
	}
	rs.Metadata.Annotations[deployutil.DesiredReplicasAnnotation] = desired
	rs.Metadata.Annotations[deployutil.MaxReplicasAnnotation] = maxReplicas
	updated, err := s.c.client.Update(ctx, apimeta.Wrap(rs))
	if err != nil {
		return false, fmt.Errorf("scale ReplicaSet %s from %d to %d: %w", ctrl.Key(r.obj), r.replicas(), n, err)
	}
	if sizeChanged {
		s.scaled(r.meta().GetName(), r.replicas(), n)
	}
	r.obj = updated
	return sizeChanged, nil
}

// scaled records a ReplicaSet's new size on the Deployment, in
// Kubernetes' words.
func (s *state) scaled(rs string, from, to int32) {
	dir := "up"
	if to < from {
		dir = "down"
	}
	s.c.rec.Eventf(s.d(), events.Normal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", dir, rs, from, to)
}

// isScalingEvent reports whether spec.replicas changed since the active
// ReplicaSets were last scaled.
func (s *state) isScalingEvent() bool {
	s.findNew()
	want := desiredReplicas(s.d())
	for _, r := range active(s.all()) {
		v, ok := r.meta().GetAnnotations()[deployutil.DesiredReplicasAnnotation]
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 32); err == nil && int32(n) != want {
			return true
		}
	}
	return false
}

// scale brings the ReplicaSets to spec.replicas without a rollout step:
// the only active (or the newest) ReplicaSet takes all replicas; with a
// saturated new ReplicaSet the old ones go to zero; otherwise a rolling
// Deployment's active ReplicaSets are scaled in proportion.
func (s *state) scale(ctx context.Context) error {
	want := desiredReplicas(s.d())
	if r := s.activeOrLatest(); r != nil {
		if r.replicas() == want {
			return nil
		}
		_, err := s.scaleRS(ctx, r, want)
		return err
	}
	if s.isSaturated() {
		for _, r := range active(s.old()) {
			if _, err := s.scaleRS(ctx, r, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRolling(s.d()) {
		return nil
	}
	return s.scaleProportionally(ctx, want)
}

func (s *state) scaleProportionally(ctx context.Context, want int32) error {
	d := s.d()
	all := active(s.all())
	allowed := int32(0)
	if want > 0 {
		allowed = want + MaxSurge(d)
	}
	toAdd := allowed - sumReplicas(all)
	sortBySize(all, toAdd > 0)
	sizes := make([]int32, len(all))
	var added int32
	for i, r := range all {
		sizes[i] = r.replicas()
		if toAdd != 0 {
			p := s.proportion(r, toAdd, added)
			sizes[i] += p
			added += p
		}
	}
	for i, r := range all {
		if i == 0 && toAdd != 0 {
			// Leftovers go to the largest ReplicaSet.
			sizes[i] = max(sizes[i]+toAdd-added, 0)
		}
		if _, err := s.scaleRS(ctx, r, sizes[i]); err != nil {
			return err
		}
	}
	return nil
}

// sortBySize orders larger first; among equals newer first when scaling
// up, older first when scaling down.
func sortBySize(rs []*rsState, newerFirst bool) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].replicas() != rs[j].replicas() {
			return rs[i].replicas() > rs[j].replicas()
		}
		a, b := rs[i].meta().GetCreationTimestamp().AsTime(), rs[j].meta().GetCreationTimestamp().AsTime()
		if newerFirst {
			return a.After(b)
		}
		return a.Before(b)
	})
}

// proportion is r's share of toAdd (Kubernetes' GetProportion).
func (s *state) proportion(r *rsState, toAdd, added int32) int32 {
	if r.replicas() == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	frac := s.fraction(r)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(frac, allowed)
	}
	return max(frac, allowed)
}

// fraction is how many replicas r gains (or loses) to keep its share of
// the Deployment's new size, from the size recorded in its max-replicas
// annotation.
func (s *state) fraction(r *rsState) int32 {
	d := s.d()
	if desiredReplicas(d) == 0 {
		return -r.replicas()
	}
	total := desiredReplicas(d) + MaxSurge(d)
	annotated, err := strconv.ParseInt(r.meta().GetAnnotations()[deployutil.MaxReplicasAnnotation], 10, 32)
	if err != nil {
		annotated = int64(d.GetStatus().GetReplicas())
	}
	if annotated <= 0 {
		return 0
	}
	size := float64(r.replicas()) * float64(total) / float64(annotated)
	return int32(math.Round(size)) - r.replicas()
}

// activeOrLatest returns the one ReplicaSet with replicas, or the newest
// one when none has any; nil when several have replicas.
func (s *state) activeOrLatest() *rsState {
	old := s.old()
	if s.newRS == nil && len(old) == 0 {
		return nil
	}
	act := active(s.all())
	switch len(act) {
	case 0:
		if s.newRS != nil {
			return s.newRS
		}
		return old[len(old)-1]
	case 1:
		return act[0]
	}
	return nil
}

// isSaturated reports whether the new ReplicaSet runs every replica,
// available.
func (s *state) isSaturated() bool {
	r, want := s.newRS, desiredReplicas(s.d())
	if r == nil {
		return false
	}
	desired, err := strconv.ParseInt(r.meta().GetAnnotations()[deployutil.DesiredReplicasAnnotation], 10, 32)
	return err == nil && r.replicas() == want && int32(desired) == want && r.availableCount() == want
}
