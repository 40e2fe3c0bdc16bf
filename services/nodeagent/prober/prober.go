package prober

import (
	"context"
	"net/http"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
	"k8s.io/utils/clock"
)

// Execer runs a command in a running container (runtime.Runtime does).
type Execer interface {
	Exec(ctx context.Context, opts runtime.ExecOptions) (int, error)
}

// Config configures a node's prober.
type Config struct {
	// Clock paces the probes and measures initial delays.
	Clock clock.WithTicker
	// UserAgent is sent with HTTP probes.
	UserAgent string
	// Recorder records each failed probe as an Unhealthy event (nil: none).
	Recorder events.Recorder
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Clock: clock.RealClock{}, UserAgent: "gantry-probe/1.0"}
}

// Pod is what the prober needs of a pod, handed over by its pod worker on
// every sync.
type Pod struct {
	UID, Namespace, Name string
	// IP is the address probes reach: the pod's own IP, or a loopback
	// address for pods on the host network.
	IP string
	// HostNetwork: the pod shares the node's network namespace.
	HostNetwork bool
	// Containers are the pod's container specs (probes, named ports).
	Containers []*gantryv1.Container
	// Runs are the latest run of each container, by name; a container
	// not started yet has none.
	Runs map[string]Run
}

// Run is one run of a container.
type Run struct {
	// ID is the runtime's id of the run.
	ID        string
	Running   bool
	StartedAt time.Time
}

// Status is what the probes say of one run of a container.
type Status struct {
	// Started: the container has no startup probe, or it succeeded.
	Started bool
	// Ready: started, and no readiness probe or it succeeded.
	Ready bool
	// Kill: the liveness or startup probe failed; Message says how
	// ("Liveness probe failed: ..."), Probe is the one that failed (its
	// terminationGracePeriodSeconds applies to the kill).
	Kill    bool
	Message string
	Probe   *gantryv1.Probe
	// StartupPending and ReadinessPending: that probe has no verdict on
	// this run yet, so Started and Ready are only the initial guesses. A
	// restarted node agent keeps what it reported of an adopted run
	// instead, rather than flapping it to not ready until the first probe.
	StartupPending, ReadinessPending bool
}

// Manager runs the probe workers of one node's pods.
type Manager struct {
	cfg      Config
	exec     Execer
	onChange func(uid string)
	log      *zap.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	httpOnce sync.Once
	http     *http.Client

	mu     sync.Mutex
	closed bool
	pods   map[string]*podEntry // by uid
}

type podEntry struct {
	pod     Pod
	workers map[workerKey]*worker
}

type workerKey struct {
	container string
	kind      Kind
}

// New returns a manager. onChange is called (from a worker's goroutine,
// with no lock held) when a published result of a pod changes, so its pod
// worker syncs at once rather than at its next event.
func New(cfg Config, exec Execer, onChange func(uid string), logger *zap.Logger) *Manager {
	def := DefaultConfig()
	if cfg.Clock == nil {
		cfg.Clock = def.Clock
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = def.UserAgent
	}
	cfg.Recorder = events.OrDiscard(cfg.Recorder)
	if onChange == nil {
		onChange = func(string) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{cfg: cfg, exec: exec, onChange: onChange, log: logger.Named("prober"),
		ctx: ctx, cancel: cancel, pods: map[string]*podEntry{}}
}

// Run waits for ctx to end, then stops every worker.
func (m *Manager) Run(ctx context.Context) error {
	<-ctx.Done()
	m.mu.Lock()
	m.closed = true // no worker starts after this: wg.Add never races Wait
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	return nil
}

// Sync records the pod's newest state: it starts the workers of its
// probes, and wakes those whose container has a new run, so a restarted
// container is probed without waiting a period.
func (m *Manager) Sync(p Pod) {
	var wake []*worker
	m.mu.Lock()
	e := m.pods[p.UID]
	if e == nil {
		if m.closed || !hasProbes(p.Containers) {
			m.mu.Unlock()
			return
		}
		e = &podEntry{workers: map[workerKey]*worker{}}
		m.pods[p.UID] = e
	}
	old := e.pod
	e.pod = p
	for _, c := range p.Containers {
		for _, k := range kinds {
			spec := k.of(c)
			key := workerKey{c.GetName(), k}
			w := e.workers[key]
			if spec == nil || w != nil {
				if w != nil && old.Runs[c.GetName()] != p.Runs[c.GetName()] {
					wake = append(wake, w)
				}
				continue
			}
			w = newWorker(m, p.UID, c, k, spec)
			e.workers[key] = w
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				w.run()
			}()
		}
	}
	m.mu.Unlock()
	for _, w := range wake {
		w.poke()
	}
}

// Remove stops the probes of a pod (it is terminating or gone).
func (m *Manager) Remove(uid string) {
	m.mu.Lock()
	e := m.pods[uid]
	delete(m.pods, uid)
	m.mu.Unlock()
	if e == nil {
		return
	}
	for _, w := range e.workers {
		w.stop()
	}
}

// Status returns what the probes say of run runID of a container.
func (m *Manager) Status(uid, container, runID string) Status {
	m.mu.Lock()
	e := m.pods[uid]
	var live, ready, start *worker
	if e != nil {
		live = e.workers[workerKey{container, Liveness}]
		ready = e.workers[workerKey{container, Readiness}]
		start = e.workers[workerKey{container, Startup}]
	}
	m.mu.Unlock()
	var st Status
	st.Started = start == nil || start.result(runID).value == success
	st.Ready = st.Started && (ready == nil || ready.result(runID).value == success)
	st.StartupPending = start != nil && !start.decided(runID)
	st.ReadinessPending = ready != nil && !ready.decided(runID)
	for _, w := range []*worker{start, live} {
		if w == nil {
			continue
		}
		if r := w.result(runID); r.value == failure {
			st.Kill, st.Message, st.Probe = true, r.message, w.spec
			break
		}
	}
	return st
}

// target returns the pod as last synced and its container's latest run.
func (m *Manager) target(uid, container string) (Pod, Run, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.pods[uid]
	if e == nil {
		return Pod{}, Run{}, false
	}
	return e.pod, e.pod.Runs[container], true
}

// started says whether run runID of a container passed its startup probe
// (or has none).
func (m *Manager) started(uid, container, runID string) bool {
	m.mu.Lock()
	var w *worker
	if e := m.pods[uid]; e != nil {
		w = e.workers[workerKey{container, Startup}]
	}
	m.mu.Unlock()
	return w == nil || w.result(runID).value == success
}

// wakeSiblings wakes a container's liveness and readiness workers once its
// startup probe succeeded: their probes start now, not a period later.
func (m *Manager) wakeSiblings(uid, container string) {
	m.mu.Lock()
	var ws []*worker
	if e := m.pods[uid]; e != nil {
		for _, k := range []Kind{Liveness, Readiness} {
			if w := e.workers[workerKey{container, k}]; w != nil {
				ws = append(ws, w)
			}
		}
	}
	m.mu.Unlock()
	for _, w := range ws {
		w.poke()
	}
}

func hasProbes(cs []*gantryv1.Container) bool {
	for _, c := range cs {
		for _, k := range kinds {
			if k.of(c) != nil {
				return true
			}
		}
	}
	return false
}
