package podworker

import (
	"context"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/nodeagent/prober"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
)

// probeLoopback is where probes of pods on the host network go.
const probeLoopback = "127.0.0.1"

// killUnhealthy stops the running containers whose liveness or startup
// probe failed, with the failed probe's grace period or else the pod's;
// syncContainers then restarts them as the restart policy says, with the
// usual back-off. The probe's message is kept for the run's terminated
// state.
func (w *worker) killUnhealthy(ctx context.Context, pod *gantryv1.Pod) {
	pr := w.m.deps.Prober
	if pr == nil {
		return
	}
	runs := w.m.deps.Runtime.PodContainers(w.uid)
	w.pruneProbeKills(runs)
	for _, c := range pod.GetSpec().GetContainers() {
		latest, ok := runtime.Latest(runs, c.GetName())
		if !ok || latest.State != runtime.StateRunning {
			continue
		}
		st := pr.Status(w.uid, c.GetName(), latest.ID)
		if !st.Kill {
			continue
		}
		w.log.Info("killing container", zap.String("pod", podKey(pod)), zap.String("container", c.GetName()), zap.String("reason", st.Message))
		kind, _, _ := strings.Cut(st.Message, " ") // "Liveness probe failed: ..."
		w.event(pod, c, events.Normal, "Killing", "Container %s failed %s probe, will be restarted", c.GetName(), strings.ToLower(kind))
		w.probeKills[latest.ID] = st.Message
		if err := w.m.deps.Runtime.StopContainer(ctx, latest.ID, probeGrace(pod, st.Probe)); err != nil {
			w.log.Warn("stop unhealthy container", zap.String("container", c.GetName()), zap.Error(err))
		}
	}
}

// probeGrace is a probe's terminationGracePeriodSeconds, else the pod's.
func probeGrace(pod *gantryv1.Pod, p *gantryv1.Probe) time.Duration {
	if p != nil && p.TerminationGracePeriodSeconds != nil {
		return time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
	}
	if g := pod.GetSpec().TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}

// pruneProbeKills forgets the kills of runs the runtime no longer keeps,
// so the map stays as small as the pod's runs.
func (w *worker) pruneProbeKills(runs []runtime.ContainerStatus) {
	if len(w.probeKills) == 0 {
		return
	}
	keep := make(map[string]bool, len(runs))
	for _, r := range runs {
		keep[r.ID] = true
	}
	for id := range w.probeKills {
		if !keep[id] {
			delete(w.probeKills, id)
		}
	}
}

// syncProbes hands the prober the pod's latest runs.
func (w *worker) syncProbes(pod *gantryv1.Pod, sb *runtime.Sandbox, runs []runtime.ContainerStatus) {
	pr := w.m.deps.Prober
	if pr == nil {
		return
	}
	md := pod.GetMetadata()
	p := prober.Pod{UID: w.uid, Namespace: md.GetNamespace(), Name: md.GetName(), IP: sb.IP,
		Containers: pod.GetSpec().GetContainers(), Runs: map[string]prober.Run{}}
	if p.IP == "" {
		p.IP, p.HostNetwork = probeLoopback, true
	}
	for _, c := range pod.GetSpec().GetContainers() {
		if r, ok := runtime.Latest(runs, c.GetName()); ok {
			p.Runs[c.GetName()] = prober.Run{ID: r.ID, Running: r.State == runtime.StateRunning, StartedAt: r.StartedAt}
		}
	}
	pr.Sync(p)
}

// stopProbes ends the pod's probes (it is terminating or finished).
func (w *worker) stopProbes() {
	if pr := w.m.deps.Prober; pr != nil {
		pr.Remove(w.uid)
	}
}

// probeView answers, for status building, what the probes say of a run:
// started and ready (both true without a prober), and the message of a
// probe that killed it.
type probeView struct {
	w      *worker
	prefix string
}

// startedReady is what the probes say of a running run. Where a probe has
// no verdict on it yet, what was last reported of the same run stands:
// for a run this agent started that is the initial "not yet" anyway, for
// one a restarted agent adopted it is what the agent before it found, so
// a restart does not flap ready pods to not ready until their probes ran.
func (v probeView) startedReady(name, id string) (bool, bool) {
	pr := v.w.m.deps.Prober
	if pr == nil {
		return true, true
	}
	st := pr.Status(v.w.uid, name, id)
	prev := v.reported(name, id)
	switch {
	case prev == nil:
	case st.StartupPending:
		// Readiness waits for startup, so it has no verdict either.
		return prev.GetStarted(), prev.GetReady()
	case st.ReadinessPending:
		return st.Started, st.Started && prev.GetReady()
	}
	return st.Started, st.Ready
}

// reported is the last reported status of run id of a container, if it
// was reported running.
func (v probeView) reported(name, id string) *gantryv1.ContainerStatus {
	for _, cs := range v.w.sent.GetContainerStatuses() {
		if cs.GetName() == name && cs.GetContainerId() == v.prefix+id && cs.GetState().GetRunning() != nil {
			return cs
		}
	}
	return nil
}

func (v probeView) killedBy(id string) (string, bool) {
	msg, ok := v.w.probeKills[id]
	return msg, ok
}
