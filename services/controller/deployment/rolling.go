package deployment

import (
	"context"
)

// newRSReplicas is how many replicas the new ReplicaSet may have now: for
// a rolling update as many as fit under replicas+maxSurge, counting each
// ReplicaSet as max(spec, active pods); for Recreate all of them.
func (s *state) newRSReplicas() int32 {
	d := s.d()
	want := desiredReplicas(d)
	if !isRolling(d) {
		return want
	}
	var cur int32
	if s.newRS != nil {
		cur = s.newRS.replicas()
	}
	maxTotal := want + MaxSurge(d)
	current := sumPodCount(s.all())
	if current >= maxTotal {
		return cur
	}
	return cur + max(min(maxTotal-current, want-cur), 0)
}

// reconcileNew scales the new ReplicaSet towards spec.replicas.
func (s *state) reconcileNew(ctx context.Context) (bool, error) {
	r, want := s.newRS, desiredReplicas(s.d())
	switch {
	case r.replicas() == want:
		return false, nil
	case r.replicas() > want:
		return s.scaleRS(ctx, r, want)
	}
	return s.scaleRS(ctx, r, s.newRSReplicas())
}

// reconcileOld scales old ReplicaSets down as far as availability
// allows: their unhealthy replicas first, then available ones down to
// replicas-maxUnavailable available pods in total.
func (s *state) reconcileOld(ctx context.Context) (bool, error) {
	old := active(s.old())
	if sumReplicas(old) == 0 {
		return false, nil
	}
	d := s.d()
	minAvailable := desiredReplicas(d) - MaxUnavailable(d)
	newUnavailable := s.newRS.replicas() - s.newRS.availableCount()
	maxScaledDown := sumReplicas(s.all()) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	cleaned, err := s.cleanupUnhealthy(ctx, old, maxScaledDown)
	if err != nil {
		return cleaned > 0, err
	}
	scaled, err := s.scaleDownOld(ctx, active(s.old()), minAvailable)
	return cleaned+scaled > 0, err
}

// cleanupUnhealthy removes up to limit replicas that are not available
// from old ReplicaSets, oldest first: that costs no availability.
func (s *state) cleanupUnhealthy(ctx context.Context, old []*rsState, limit int32) (int32, error) {
	var total int32
	for _, r := range old {
		if total >= limit {
			break
		}
		unhealthy := r.replicas() - r.availableCount()
		if r.replicas() == 0 || unhealthy <= 0 {
			continue
		}
		n := min(limit-total, unhealthy)
		if _, err := s.scaleRS(ctx, r, r.replicas()-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// scaleDownOld scales old ReplicaSets down, oldest first, by the available
// pods beyond minAvailable.
func (s *state) scaleDownOld(ctx context.Context, old []*rsState, minAvailable int32) (int32, error) {
	avail := sumAvailable(s.all())
	if avail <= minAvailable {
		return 0, nil
	}
	budget := avail - minAvailable
	var total int32
	for _, r := range old {
		if total >= budget {
			break
		}
		if r.replicas() == 0 {
			continue
		}
		n := min(r.replicas(), budget-total)
		if _, err := s.scaleRS(ctx, r, r.replicas()-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
