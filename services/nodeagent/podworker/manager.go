package podworker

import (
	"context"
	"sort"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
)

// PodInfo is a pod as its worker last saw it.
type PodInfo struct {
	Namespace, Name, UID, Phase, PodIP string
}

// Manager routes pod events to one worker per pod.
type Manager struct {
	cfg  Config
	deps Deps
	log  *zap.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	workers map[string]*worker // by pod uid
}

// New returns a manager; workers start as pods arrive, before or after Run.
func New(cfg Config, deps Deps, logger *zap.Logger) *Manager {
	def := DefaultConfig()
	if cfg.BackoffInitial <= 0 {
		cfg.BackoffInitial = def.BackoffInitial
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = def.BackoffMax
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = def.RetryDelay
	}
	if cfg.OrphanGrace <= 0 {
		cfg.OrphanGrace = def.OrphanGrace
	}
	if cfg.Clock == nil {
		cfg.Clock = def.Clock
	}
	deps.Recorder = events.OrDiscard(deps.Recorder)
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{cfg: cfg, deps: deps, log: logger.Named("pods"), ctx: ctx, cancel: cancel, workers: map[string]*worker{}}
	deps.Runtime.SetExitHandler(m.containerExited)
	return m
}

// Run waits for ctx to end, then stops every worker (not the pods: they
// keep running and a restarted agent adopts them).
func (m *Manager) Run(ctx context.Context) error {
	<-ctx.Done()
	m.mu.Lock()
	m.closed = true // no worker starts after this: wg.Add never races Wait
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	return nil
}

// Update hands a pod's newest state to its worker, starting one if needed.
func (m *Manager) Update(pod *gantryv1.Pod) {
	if w := m.worker(pod.GetMetadata().GetUid(), true); w != nil {
		w.update(pod, false)
	}
}

// Remove tells a pod's worker the pod is gone from the API.
func (m *Manager) Remove(pod *gantryv1.Pod) {
	if w := m.worker(pod.GetMetadata().GetUid(), true); w != nil {
		w.update(pod, true)
	}
}

// worker returns the pod's worker, starting it when create is set (nil
// once the manager stopped).
func (m *Manager) worker(uid string, create bool) *worker {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.workers[uid]
	if ok || !create || m.closed {
		return w
	}
	w = newWorker(m, uid)
	m.workers[uid] = w
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		w.run(m.ctx)
	}()
	return w
}

// finished drops a worker whose pod is gone for good.
func (m *Manager) finished(w *worker) {
	m.mu.Lock()
	if m.workers[w.uid] == w {
		delete(m.workers, w.uid)
	}
	m.mu.Unlock()
}

// Poke makes a pod's worker sync now (a probe result changed).
func (m *Manager) Poke(uid string) { m.containerExited(uid) }

func (m *Manager) containerExited(uid string) {
	if w := m.worker(uid, false); w != nil {
		w.poke()
	}
}

// CleanupOrphans stops and removes what the runtime holds for pods that
// known says are not bound here any more (call it once the pod informer
// has synced). Pods with a worker are left to it.
func (m *Manager) CleanupOrphans(ctx context.Context, known func(uid string) bool) {
	for _, uid := range m.deps.Runtime.Pods() {
		if known(uid) || m.worker(uid, false) != nil {
			continue
		}
		m.log.Info("stopping orphaned pod", zap.String("uid", uid))
		orphan := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Uid: uid}}
		if w := m.worker(uid, true); w != nil {
			w.update(orphan, true)
		}
	}
}

// Pods returns what the workers know of their pods, sorted.
func (m *Manager) Pods() []PodInfo {
	m.mu.Lock()
	ws := make([]*worker, 0, len(m.workers))
	for _, w := range m.workers {
		ws = append(ws, w)
	}
	m.mu.Unlock()
	out := make([]PodInfo, 0, len(ws))
	for _, w := range ws {
		if info, ok := w.info(); ok {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Pod returns the newest state of a pod with a worker, by name.
func (m *Manager) Pod(namespace, name string) (*gantryv1.Pod, bool) {
	m.mu.Lock()
	ws := make([]*worker, 0, len(m.workers))
	for _, w := range m.workers {
		ws = append(ws, w)
	}
	m.mu.Unlock()
	for _, w := range ws {
		p, _ := w.latest()
		if md := p.GetMetadata(); md.GetNamespace() == namespace && md.GetName() == name {
			return p, true
		}
	}
	return nil, false
}
