package printer

import (
	"fmt"
	"strconv"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// podRow is kubectl's printPod for pods without init containers.
func podRow(o *gantryv1.Object, now time.Time, wide bool) []string {
	pod := o.GetPod()
	ready, total := PodReady(pod)
	restarts, last := podRestarts(pod)
	restartStr := strconv.Itoa(restarts)
	if restarts != 0 && last != nil {
		restartStr = fmt.Sprintf("%d (%s ago)", restarts, Since(last, now))
	}
	row := []string{pod.GetMetadata().GetName(), fmt.Sprintf("%d/%d", ready, total), PodStatus(pod),
		restartStr, Since(pod.GetMetadata().GetCreationTimestamp(), now)}
	if wide {
		ip := pod.GetStatus().GetPodIp()
		if ips := pod.GetStatus().GetPodIps(); len(ips) > 0 {
			ip = ips[0].GetIp()
		}
		row = append(row, orNone(ip), orNone(pod.GetSpec().GetNodeName()),
			orNone(pod.GetStatus().GetNominatedNodeName()), "<none>")
	}
	return row
}

// PodReady returns the containers that are ready and running, and how
// many containers the pod has.
func PodReady(pod *gantryv1.Pod) (ready, total int) {
	for _, cs := range pod.GetStatus().GetContainerStatuses() {
		if cs.GetReady() && cs.GetState().GetRunning() != nil {
			ready++
		}
	}
	return ready, len(pod.GetSpec().GetContainers())
}

// podRestarts sums the containers' restarts and finds the latest time one
// of them last ended (nil when none recorded it).
func podRestarts(pod *gantryv1.Pod) (int, *timestamppb.Timestamp) {
	n := 0
	var last *timestamppb.Timestamp
	for _, cs := range pod.GetStatus().GetContainerStatuses() {
		n += int(cs.GetRestartCount())
		f := cs.GetLastState().GetTerminated().GetFinishedAt()
		if isSet(f) && (last == nil || last.AsTime().Before(f.AsTime())) {
			last = f
		}
	}
	return n, last
}

// PodStatus is the STATUS column of kubectl get pods: the phase, unless
// the pod's reason or a container's waiting or terminated reason says
// more; Terminating while a non-terminal pod is being deleted.
func PodStatus(pod *gantryv1.Pod) string {
	st := pod.GetStatus()
	reason := st.GetPhase()
	if st.GetReason() != "" {
		reason = st.GetReason()
	}
	if reason == "" {
		reason = "Pending"
	}
	hasRunning := false
	css := st.GetContainerStatuses()
	// Backwards, as kubectl does, so the first container's reason wins.
	for i := len(css) - 1; i >= 0; i-- {
		s := css[i].GetState()
		switch {
		case s.GetWaiting().GetReason() != "":
			reason = s.GetWaiting().GetReason()
		case s.GetTerminated().GetReason() != "":
			reason = s.GetTerminated().GetReason()
		case s.GetTerminated() != nil && s.GetTerminated().GetSignal() != 0:
			reason = fmt.Sprintf("Signal:%d", s.GetTerminated().GetSignal())
		case s.GetTerminated() != nil:
			reason = fmt.Sprintf("ExitCode:%d", s.GetTerminated().GetExitCode())
		case css[i].GetReady() && s.GetRunning() != nil:
			hasRunning = true
		}
	}
	if reason == "Completed" && hasRunning {
		reason = "NotReady"
		if hasCondition(st.GetConditions(), "Ready", "True") {
			reason = "Running"
		}
	}
	if pod.GetMetadata().GetDeletionTimestamp() != nil {
		switch {
		case st.GetReason() == "NodeLost":
			reason = "Unknown"
		case st.GetPhase() != "Succeeded" && st.GetPhase() != "Failed":
			reason = "Terminating"
		}
	}
	return reason
}

func hasCondition(conds []*gantryv1.Condition, typ, status string) bool {
	for _, c := range conds {
		if c.GetType() == typ {
			return c.GetStatus() == status
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
