package prober

import (
	"context"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
)

// published is a worker's result for one run of its container.
type published struct {
	runID   string
	value   result
	message string
}

// worker probes one container with one probe, run after run.
type worker struct {
	m         *Manager
	uid       string
	container *gantryv1.Container
	kind      Kind
	spec      *gantryv1.Probe
	timing    timing
	log       *zap.Logger

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	// Owned by the worker's goroutine.
	runID      string
	lastResult result
	resultRun  int
	// onHold: a liveness or startup failure was published for this run;
	// the pod worker kills it, and probing waits for the next run.
	onHold bool
	// warned: an unknown result of this run was logged already.
	warned bool

	mu  sync.Mutex
	pub published
}

func newWorker(m *Manager, uid string, c *gantryv1.Container, k Kind, spec *gantryv1.Probe) *worker {
	ctx, cancel := context.WithCancel(m.ctx)
	return &worker{m: m, uid: uid, container: c, kind: k, spec: spec, timing: timingOf(k, spec),
		log:  m.log.With(zap.String("uid", uid), zap.String("container", c.GetName()), zap.Stringer("probe", k)),
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) stop() { w.cancel() }

// run steps until the worker is stopped; a poke (a new run, a startup
// success) steps at once.
func (w *worker) run() {
	for w.ctx.Err() == nil {
		next := w.step(w.ctx)
		if w.ctx.Err() != nil {
			return
		}
		t := w.m.cfg.Clock.NewTimer(next)
		select {
		case <-w.ctx.Done():
		case <-w.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// result returns the published result for run runID; a run the worker has
// not published for has the kind's initial result.
func (w *worker) result(runID string) published {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pub.runID == runID && runID != "" {
		return w.pub
	}
	return published{runID: runID, value: w.initial()}
}

// decided says whether the worker published a result for run runID.
func (w *worker) decided(runID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return runID != "" && w.pub.runID == runID
}

// initial is a run's result before its probe decided anything, as in the
// kubelet: not ready, alive, not started.
func (w *worker) initial() result {
	switch w.kind {
	case Readiness:
		return failure
	case Liveness:
		return success
	}
	return unknown
}

// step probes the container's current run if a probe is due, and returns
// when to step again.
func (w *worker) step(ctx context.Context) time.Duration {
	period := w.timing.period
	pod, run, ok := w.m.target(w.uid, w.container.GetName())
	if !ok {
		return period
	}
	if run.ID != w.runID {
		w.runID, w.lastResult, w.resultRun, w.onHold, w.warned = run.ID, unknown, 0, false, false
	}
	if run.ID == "" || !run.Running || w.onHold {
		return period
	}
	// The startup probe stops once it succeeded; the others wait for it.
	if started := w.m.started(w.uid, w.container.GetName(), run.ID); started == (w.kind == Startup) {
		return period
	}
	if d := run.StartedAt.Add(w.timing.initialDelay).Sub(w.m.cfg.Clock.Now()); d > 0 {
		return d
	}
	res, msg := w.m.check(ctx, w.spec, w.container, pod, w.timing.timeout)
	if ctx.Err() != nil {
		return period
	}
	if res == unknown {
		if !w.warned {
			w.warned = true
			w.log.Warn("probe could not run; its result counts neither way", zap.String("reason", msg))
		}
		return period
	}
	if res == w.lastResult {
		w.resultRun++
	} else {
		w.lastResult, w.resultRun = res, 1
	}
	if res == failure {
		w.log.Debug("probe failed", zap.String("message", msg), zap.Int("consecutive", w.resultRun))
		// Every failure, as the kubelet records them: repeats count up
		// on one Event, and the threshold decides what happens.
		w.m.cfg.Recorder.Eventf(events.PodContainerRef(pod.Namespace, pod.Name, pod.UID, w.container.GetName()),
			events.Warning, "Unhealthy", "%s probe failed: %s", w.kind, msg)
	}
	if (res == failure && w.resultRun < w.timing.failures) || (res == success && w.resultRun < w.timing.successes) {
		return period
	}
	w.publish(run.ID, res, msg)
	if res == failure && w.kind != Readiness {
		// The container is to be killed: further failures of this run
		// mean nothing, and its next run starts counting afresh.
		w.onHold, w.resultRun = true, 0
	}
	return period
}

// publish records a result and, when it changed, tells the pod worker.
func (w *worker) publish(runID string, res result, msg string) {
	if res == failure {
		msg = w.kind.String() + " probe failed: " + msg
	} else {
		msg = ""
	}
	w.mu.Lock()
	before := w.initial()
	if w.pub.runID == runID {
		before = w.pub.value
	}
	changed := before != res
	w.pub = published{runID: runID, value: res, message: msg}
	w.mu.Unlock()
	if !changed {
		return
	}
	if res == failure {
		w.log.Info("probe failed", zap.String("message", msg))
	}
	if w.kind == Startup && res == success {
		w.m.wakeSiblings(w.uid, w.container.GetName())
	}
	w.m.onChange(w.uid)
}
