package podworker

import (
	"context"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/taints"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// worker serialises everything done to one pod.
type worker struct {
	m   *Manager
	uid string
	log *zap.Logger

	mu      sync.Mutex
	pod     *gantryv1.Pod
	removed bool
	podInfo PodInfo
	hasInfo bool
	wake    chan struct{}

	// Owned by the worker's goroutine.
	admitted bool
	terminal bool
	sent     *gantryv1.PodStatus
	backoffs map[string]*backoff
	// probeKills are the runs killed for failing a probe, with its message.
	probeKills map[string]string
}

func newWorker(m *Manager, uid string) *worker {
	return &worker{m: m, uid: uid, log: m.log.With(zap.String("uid", uid)), wake: make(chan struct{}, 1), backoffs: map[string]*backoff{},
		probeKills: map[string]string{}}
}

func (w *worker) update(pod *gantryv1.Pod, removed bool) {
	w.mu.Lock()
	w.pod = pod
	w.removed = w.removed || removed
	w.mu.Unlock()
	w.poke()
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) latest() (*gantryv1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.removed
}

func (w *worker) info() (PodInfo, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.podInfo, w.hasInfo
}

// run syncs the pod whenever something changes (a new pod state, a
// container exit, a back-off or retry timer) until the pod is gone.
func (w *worker) run(ctx context.Context) {
	for {
		if ctx.Err() != nil {
			return
		}
		pod, removed := w.latest()
		next, finished := w.sync(ctx, pod, removed)
		if finished {
			w.m.finished(w)
			return
		}
		var timer <-chan time.Time
		var stop func() bool
		if next > 0 {
			t := w.m.cfg.Clock.NewTimer(next)
			timer, stop = t.C(), t.Stop
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-timer:
		}
		if stop != nil {
			stop()
		}
	}
}

// sync does what the pod needs now; it returns when to look again (0:
// only on the next event) and whether the worker is done.
func (w *worker) sync(ctx context.Context, pod *gantryv1.Pod, removed bool) (time.Duration, bool) {
	if pod == nil {
		return 0, false
	}
	if removed || pod.GetMetadata().GetDeletionTimestamp() != nil {
		return w.terminate(ctx, pod, removed)
	}
	if w.sent == nil && pod.GetStatus() != nil {
		w.sent = pod.GetStatus()
	}
	if w.terminal {
		return 0, false
	}
	if isTerminal(pod.GetStatus().GetPhase()) {
		return w.finishTerminal(ctx, pod)
	}
	rt := w.m.deps.Runtime
	if !w.admitted {
		if len(rt.PodContainers(w.uid)) > 0 {
			w.m.deps.Admitter.Force(pod) // already running here: keep it
		} else if res := w.m.deps.Admitter.Admit(pod); !res.Admit {
			w.log.Info("pod refused", zap.String("pod", podKey(pod)), zap.String("reason", res.Reason), zap.String("message", res.Message))
			w.m.deps.Recorder.Event(pod, events.Warning, res.Reason, res.Message)
			w.send(pod, rejectedStatus(pod, w.m.cfg.HostIP, res.Reason, res.Message))
			w.terminal = true
			return 0, false
		}
		w.admitted = true
	}
	sb, err := rt.RunSandbox(ctx, runtime.SandboxConfig{UID: w.uid, Namespace: pod.GetMetadata().GetNamespace(),
		Name: pod.GetMetadata().GetName(), HostNetwork: pod.GetSpec().GetHostNetwork()})
	if err != nil {
		w.log.Warn("pod sandbox", zap.String("pod", podKey(pod)), zap.Error(err))
		w.send(pod, w.buildStatus(pod, nil, nil, allWaiting(pod, "ContainerCreating", err.Error())))
		return w.m.cfg.RetryDelay, false
	}
	w.killUnhealthy(ctx, pod)
	waiting, next := w.syncContainers(ctx, pod, sb)
	runs := rt.PodContainers(w.uid)
	w.syncProbes(pod, sb, runs)
	st := w.buildStatus(pod, sb, runs, waiting)
	w.send(pod, st)
	if isTerminal(st.GetPhase()) {
		return w.finishTerminal(ctx, pod)
	}
	return next, false
}

// finishTerminal releases what a finished pod held: its containers are
// stopped, its network and its share of the node are given back; its logs
// stay until the pod is deleted.
func (w *worker) finishTerminal(ctx context.Context, pod *gantryv1.Pod) (time.Duration, bool) {
	w.stopProbes()
	w.stopAll(ctx, pod, 0)
	if err := w.m.deps.Runtime.StopSandbox(ctx, w.uid); err != nil {
		w.log.Warn("stop sandbox", zap.Error(err))
		return w.m.cfg.RetryDelay, false
	}
	w.m.deps.Admitter.Release(w.uid)
	w.terminal = true
	return 0, false
}

// terminate stops a pod that is being deleted (or is gone): SIGTERM, the
// grace period, SIGKILL; then it removes the pod's sandbox and state and,
// unless the pod is already gone, deletes it for good.
func (w *worker) terminate(ctx context.Context, pod *gantryv1.Pod, removed bool) (time.Duration, bool) {
	w.stopProbes()
	w.stopAll(ctx, pod, w.grace(pod, removed))
	if ctx.Err() != nil {
		return 0, false
	}
	if err := w.m.deps.Runtime.RemovePod(ctx, w.uid); err != nil {
		w.log.Warn("remove pod", zap.String("pod", podKey(pod)), zap.Error(err))
		return w.m.cfg.RetryDelay, false
	}
	w.m.deps.Admitter.Release(w.uid)
	md := pod.GetMetadata()
	if md.GetName() != "" {
		w.m.deps.Status.Forget(md.GetNamespace(), md.GetName())
	}
	if !removed {
		if err := w.m.deps.Deleter.DeletePod(ctx, md.GetNamespace(), md.GetName(), w.uid); err != nil {
			w.log.Warn("delete pod", zap.String("pod", podKey(pod)), zap.Error(err))
			return w.m.cfg.RetryDelay, false
		}
	}
	w.mu.Lock()
	w.hasInfo = false
	w.mu.Unlock()
	return 0, true
}

// grace is the termination grace: the deletion's, else the pod's; a pod
// already gone from the API (force-deleted, or an orphan) gets OrphanGrace.
func (w *worker) grace(pod *gantryv1.Pod, removed bool) time.Duration {
	if removed {
		return w.m.cfg.OrphanGrace
	}
	if g := pod.GetMetadata().DeletionGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	if g := pod.GetSpec().TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}

// stopAll stops every running container of the pod, concurrently.
func (w *worker) stopAll(ctx context.Context, pod *gantryv1.Pod, grace time.Duration) {
	var wg sync.WaitGroup
	for _, c := range w.m.deps.Runtime.PodContainers(w.uid) {
		if c.State != runtime.StateRunning {
			continue
		}
		w.m.deps.Recorder.Event(w.containerRef(pod, c.Name), events.Normal, "Killing", "Stopping container "+c.Name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.m.deps.Runtime.StopContainer(ctx, c.ID, grace); err != nil {
				w.log.Warn("stop container", zap.String("container", c.Name), zap.Error(err))
			}
		}()
	}
	wg.Wait()
}

// send hands a changed status to the sink.
func (w *worker) send(pod *gantryv1.Pod, st *gantryv1.PodStatus) {
	w.mu.Lock()
	md := pod.GetMetadata()
	w.podInfo = PodInfo{Namespace: md.GetNamespace(), Name: md.GetName(), UID: w.uid, Phase: st.GetPhase(), PodIP: st.GetPodIp()}
	w.hasInfo = true
	w.mu.Unlock()
	if proto.Equal(st, w.sent) && !markedNotReady(pod.GetStatus(), st) {
		return
	}
	w.sent = st
	w.m.deps.Status.Set(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: md.GetNamespace(), Name: md.GetName(), Uid: w.uid}, Status: st})
}

// markedNotReady reports whether the stored status carries the node
// lifecycle controller's Ready=False (written while this node looked
// lost) and this agent sees otherwise: then the agent's status must be
// written again even though it did not change here.
func markedNotReady(stored, ours *gantryv1.PodStatus) bool {
	for _, c := range stored.GetConditions() {
		if c.GetType() == "Ready" && c.GetReason() == taints.PodNotReadyReason {
			for _, o := range ours.GetConditions() {
				if o.GetType() == "Ready" {
					return o.GetReason() != taints.PodNotReadyReason
				}
			}
		}
	}
	return false
}

func podKey(pod *gantryv1.Pod) string {
	return pod.GetMetadata().GetNamespace() + "/" + pod.GetMetadata().GetName()
}

func isTerminal(phase string) bool { return phase == "Succeeded" || phase == "Failed" }

// event records an event about one of the pod's containers.
func (w *worker) event(pod *gantryv1.Pod, c *gantryv1.Container, eventType, reason, format string, args ...any) {
	w.m.deps.Recorder.Eventf(w.containerRef(pod, c.GetName()), eventType, reason, format, args...)
}

// containerRef names a container of the pod; the uid is the worker's, as
// pod may be the last state known of a pod already gone.
func (w *worker) containerRef(pod *gantryv1.Pod, container string) *gantryv1.ObjectReference {
	m := pod.GetMetadata()
	return events.PodContainerRef(m.GetNamespace(), m.GetName(), w.uid, container)
}
