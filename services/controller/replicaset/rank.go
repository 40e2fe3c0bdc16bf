package replicaset

import (
	"sort"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// podsToDelete returns the n pods to delete first (pods is reordered).
func podsToDelete(pods []*gantryv1.Object, n int) []*gantryv1.Object {
	sort.SliceStable(pods, func(i, j int) bool { return deleteFirst(pods[i].GetPod(), pods[j].GetPod()) })
	return pods[:min(n, len(pods))]
}

var phaseRank = map[string]int{"": 0, "Pending": 0, "Unknown": 1, "Running": 2}

// deleteFirst orders pods as Kubernetes' ActivePods ranking does: the pod
// whose loss hurts least comes first.
func deleteFirst(a, b *gantryv1.Pod) bool {
	if an, bn := a.GetSpec().GetNodeName() == "", b.GetSpec().GetNodeName() == ""; an != bn {
		return an
	}
	if ap, bp := phaseRank[a.GetStatus().GetPhase()], phaseRank[b.GetStatus().GetPhase()]; ap != bp {
		return ap < bp
	}
	ar, br := ctrl.IsPodReady(a), ctrl.IsPodReady(b)
	if ar != br {
		return !ar
	}
	if ar {
		// Ready for a shorter time first: available pods go last.
		at, bt := readySince(a), readySince(b)
		if !at.Equal(bt) {
			return at.After(bt)
		}
	}
	if ac, bc := restarts(a), restarts(b); ac != bc {
		return ac > bc
	}
	at, bt := a.GetMetadata().GetCreationTimestamp().AsTime(), b.GetMetadata().GetCreationTimestamp().AsTime()
	return at.After(bt)
}

func readySince(p *gantryv1.Pod) time.Time {
	return ctrl.PodReadyCondition(p).GetLastTransitionTime().AsTime()
}

func restarts(p *gantryv1.Pod) int32 {
	var n int32
	for _, s := range p.GetStatus().GetContainerStatuses() {
		n += s.GetRestartCount()
	}
	return n
}
