package podworker

import (
	"fmt"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// podIP is the sandbox's address, or the node's for host-network pods.
func podIP(sb *runtime.Sandbox, hostIP string) string {
	if sb != nil && sb.IP != "" {
		return sb.IP
	}
	return hostIP
}

// buildStatus derives the pod's status from the runtime's runs, as the
// kubelet does: container states, phase, conditions, addresses.
func (w *worker) buildStatus(pod *gantryv1.Pod, sb *runtime.Sandbox, runs []runtime.ContainerStatus, waiting map[string]*gantryv1.ContainerStateWaiting) *gantryv1.PodStatus {
	now := w.m.cfg.Clock.Now()
	prev := w.sent
	st := &gantryv1.PodStatus{HostIp: w.m.cfg.HostIP, StartTime: prev.GetStartTime()}
	if st.StartTime == nil {
		st.StartTime = timestamppb.New(now)
	}
	if sb != nil {
		ip := podIP(sb, w.m.cfg.HostIP)
		st.PodIp, st.PodIps = ip, []*gantryv1.PodIP{{Ip: ip}}
	}
	prefix := w.m.deps.Runtime.Name() + "://"
	view := probeView{w: w, prefix: prefix}
	for _, c := range pod.GetSpec().GetContainers() {
		st.ContainerStatuses = append(st.ContainerStatuses, containerStatus(c, runs, waiting[c.GetName()], prefix, view))
	}
	st.Phase = phase(pod.GetSpec().GetRestartPolicy(), st.ContainerStatuses)
	st.Conditions = conditions(st, prev, now)
	return st
}

func containerStatus(c *gantryv1.Container, runs []runtime.ContainerStatus, waiting *gantryv1.ContainerStateWaiting, prefix string, view probeView) *gantryv1.ContainerStatus {
	cs := &gantryv1.ContainerStatus{Name: c.GetName(), Image: c.GetImage()}
	started := false
	defer func() { cs.Started = &started }()
	latest, ok := runtime.Latest(runs, c.GetName())
	if !ok {
		if waiting == nil {
			waiting = &gantryv1.ContainerStateWaiting{Reason: "ContainerCreating"}
		}
		cs.State = &gantryv1.ContainerState{Waiting: waiting}
		return cs
	}
	cs.RestartCount, cs.ContainerId = int32(latest.Attempt), prefix+latest.ID
	switch {
	case latest.State == runtime.StateRunning:
		cs.State = &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{StartedAt: timestamppb.New(latest.StartedAt)}}
		started, cs.Ready = view.startedReady(c.GetName(), latest.ID)
	case waiting != nil:
		cs.State = &gantryv1.ContainerState{Waiting: waiting}
		cs.LastState = &gantryv1.ContainerState{Terminated: terminated(latest, prefix, view)}
		return cs
	default:
		cs.State = &gantryv1.ContainerState{Terminated: terminated(latest, prefix, view)}
	}
	if prev, ok := runtime.Previous(runs, c.GetName()); ok {
		cs.LastState = &gantryv1.ContainerState{Terminated: terminated(prev, prefix, view)}
	}
	return cs
}

// terminated is a finished run's state; a run killed for failing a probe
// says so in its message.
func terminated(r runtime.ContainerStatus, prefix string, view probeView) *gantryv1.ContainerStateTerminated {
	msg := r.Message
	if m, ok := view.killedBy(r.ID); ok {
		msg = m
	}
	return &gantryv1.ContainerStateTerminated{ExitCode: int32(r.ExitCode), Signal: int32(r.Signal), Reason: r.Reason,
		Message: msg, StartedAt: timestamppb.New(r.StartedAt), FinishedAt: timestamppb.New(r.FinishedAt), ContainerId: prefix + r.ID}
}

// phase is the kubelet's getPhase for a pod without init containers.
func phase(policy string, css []*gantryv1.ContainerStatus) string {
	var waiting, running, stopped, succeeded int
	for _, cs := range css {
		switch s := cs.GetState(); {
		case s.GetRunning() != nil:
			running++
		case s.GetTerminated() != nil:
			stopped++
			if s.GetTerminated().GetExitCode() == 0 {
				succeeded++
			}
		case cs.GetLastState().GetTerminated() != nil:
			stopped++
		default:
			waiting++
		}
	}
	switch {
	case waiting > 0:
		return "Pending"
	case running > 0:
		return "Running"
	case stopped > 0:
		switch {
		case policy == "Always" || policy == "":
			return "Running"
		case stopped == succeeded:
			return "Succeeded"
		case policy == "Never":
			return "Failed"
		}
		return "Running"
	}
	return "Pending"
}

// conditions are PodScheduled, Initialized, ContainersReady and Ready;
// a condition keeps its transition time while its status stays.
func conditions(st *gantryv1.PodStatus, prev *gantryv1.PodStatus, now time.Time) []*gantryv1.Condition {
	var notReady []string
	for _, cs := range st.GetContainerStatuses() {
		if !cs.GetReady() {
			notReady = append(notReady, cs.GetName())
		}
	}
	ready := &gantryv1.Condition{Status: "True"}
	switch {
	case isTerminal(st.GetPhase()):
		ready = &gantryv1.Condition{Status: "False", Reason: "PodCompleted"}
	case len(notReady) > 0:
		ready = &gantryv1.Condition{Status: "False", Reason: "ContainersNotReady",
			Message: fmt.Sprintf("containers with unready status: [%s]", strings.Join(notReady, " "))}
	}
	out := []*gantryv1.Condition{
		{Type: "PodScheduled", Status: "True"},
		{Type: "Initialized", Status: "True"},
		withType(ready, "ContainersReady"),
		withType(ready, "Ready"),
	}
	for _, c := range out {
		c.LastTransitionTime = timestamppb.New(now)
		for _, p := range prev.GetConditions() {
			if p.GetType() == c.GetType() && p.GetStatus() == c.GetStatus() && p.GetLastTransitionTime() != nil {
				c.LastTransitionTime = p.GetLastTransitionTime()
			}
		}
	}
	return out
}

func withType(c *gantryv1.Condition, t string) *gantryv1.Condition {
	out := proto.Clone(c).(*gantryv1.Condition)
	out.Type = t
	return out
}

// rejectedStatus is the status of a pod admission refused.
func rejectedStatus(pod *gantryv1.Pod, hostIP, reason, msg string) *gantryv1.PodStatus {
	st := &gantryv1.PodStatus{Phase: "Failed", Reason: reason, Message: msg, HostIp: hostIP}
	for _, c := range pod.GetStatus().GetConditions() {
		st.Conditions = append(st.Conditions, proto.Clone(c).(*gantryv1.Condition))
	}
	return st
}

// allWaiting marks every container waiting with reason and message.
func allWaiting(pod *gantryv1.Pod, reason, msg string) map[string]*gantryv1.ContainerStateWaiting {
	out := map[string]*gantryv1.ContainerStateWaiting{}
	for _, c := range pod.GetSpec().GetContainers() {
		out[c.GetName()] = &gantryv1.ContainerStateWaiting{Reason: reason, Message: msg}
	}
	return out
}
