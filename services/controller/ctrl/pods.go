package ctrl

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// ReadyCondition is the pod condition the node agent sets once every
// container runs.
const ReadyCondition = "Ready"

// PodReadyCondition returns the pod's Ready condition, or nil.
func PodReadyCondition(p *gantryv1.Pod) *gantryv1.Condition {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == ReadyCondition {
			return c
		}
	}
	return nil
}

// IsPodReady reports whether the pod's Ready condition is "True".
func IsPodReady(p *gantryv1.Pod) bool {
	return PodReadyCondition(p).GetStatus() == "True"
}

// AvailableAt returns when a ready pod becomes available (Ready for
// minReadySeconds); ok is false when it is not ready. With minReadySeconds
// 0 a ready pod is available at once (the zero time).
func AvailableAt(p *gantryv1.Pod, minReadySeconds int32) (at time.Time, ok bool) {
	c := PodReadyCondition(p)
	if c.GetStatus() != "True" {
		return time.Time{}, false
	}
	if minReadySeconds <= 0 {
		return time.Time{}, true
	}
	if c.GetLastTransitionTime() == nil {
		// Without a transition time the pod is ready since an unknown
		// moment: count it available rather than never.
		return time.Time{}, true
	}
	return c.GetLastTransitionTime().AsTime().Add(time.Duration(minReadySeconds) * time.Second), true
}

// IsPodAvailable reports whether the pod has been ready for
// minReadySeconds at now.
func IsPodAvailable(p *gantryv1.Pod, minReadySeconds int32, now time.Time) bool {
	at, ok := AvailableAt(p, minReadySeconds)
	return ok && !at.After(now)
}

// IsPodTerminal reports whether the pod's containers have all finished.
func IsPodTerminal(p *gantryv1.Pod) bool {
	ph := p.GetStatus().GetPhase()
	return ph == "Succeeded" || ph == "Failed"
}

// IsPodActive reports whether the pod counts towards replicas: not
// finished and not being deleted.
func IsPodActive(p *gantryv1.Pod) bool {
	return !IsPodTerminal(p) && p.GetMetadata().GetDeletionTimestamp() == nil
}
