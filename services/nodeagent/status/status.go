package status

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"k8s.io/utils/clock"
)

// Writer is the write path: ResourceService's Batch.
type Writer interface {
	Batch(ctx context.Context, in *gantryv1.BatchRequest, opts ...grpc.CallOption) (*gantryv1.BatchResponse, error)
}

// Config tunes the batching.
type Config struct {
	// Interval is the least time between the starts of two flushes.
	Interval time.Duration
	// MaxBatch bounds the ops of one Batch call (the apiserver takes 1000).
	MaxBatch int
	// MaxInFlight bounds the concurrent Batch calls.
	MaxInFlight int
	// Timeout bounds one Batch call.
	Timeout time.Duration
	// Clock paces the flushes.
	Clock clock.Clock
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Interval: 100 * time.Millisecond, MaxBatch: 500, MaxInFlight: 2, Timeout: 15 * time.Second, Clock: clock.RealClock{}}
}

// Stats counts what was written.
type Stats struct {
	Batches, Ops, Failed, Dropped uint64
}

type key struct{ namespace, name string }

// Manager coalesces and writes pod statuses.
type Manager struct {
	cfg Config
	w   Writer
	log *zap.Logger

	mu       sync.Mutex
	pending  map[key]*gantryv1.Pod
	inFlight map[key]bool
	wake     chan struct{}

	batches, ops, failed, dropped atomic.Uint64
}

// New returns a manager writing through w.
func New(cfg Config, w Writer, logger *zap.Logger) *Manager {
	def := DefaultConfig()
	if cfg.Interval <= 0 {
		cfg.Interval = def.Interval
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = def.MaxBatch
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = def.MaxInFlight
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Clock == nil {
		cfg.Clock = def.Clock
	}
	return &Manager{cfg: cfg, w: w, log: logger.Named("status"), pending: map[key]*gantryv1.Pod{},
		inFlight: map[key]bool{}, wake: make(chan struct{}, 1)}
}

// Set records pod's status (pod carries namespace, name and uid in its
// metadata) to be written, replacing any status of it not written yet.
// The manager keeps pod; the caller must not modify it afterwards.
func (m *Manager) Set(pod *gantryv1.Pod) {
	md := pod.GetMetadata()
	m.mu.Lock()
	m.pending[key{md.GetNamespace(), md.GetName()}] = &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: md.GetNamespace(), Name: md.GetName(), Uid: md.GetUid()},
		Status:   pod.GetStatus(),
	}
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Forget drops a pod's unwritten status (the pod is gone).
func (m *Manager) Forget(namespace, name string) {
	m.mu.Lock()
	delete(m.pending, key{namespace, name})
	m.mu.Unlock()
}

// Pending returns the number of statuses not written yet.
func (m *Manager) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pending)
}

// Stats returns the counters.
func (m *Manager) Stats() Stats {
	return Stats{Batches: m.batches.Load(), Ops: m.ops.Load(), Failed: m.failed.Load(), Dropped: m.dropped.Load()}
}

// Run flushes until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	sem := make(chan struct{}, m.cfg.MaxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		}
		started := m.cfg.Clock.Now()
		for {
			batch := m.take()
			if len(batch) == 0 {
				break
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				m.requeue(batch)
				return nil
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				m.write(ctx, batch)
			}()
		}
		if d := m.cfg.Interval - m.cfg.Clock.Since(started); d > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-m.cfg.Clock.After(d):
			}
		}
	}
}

// take removes up to MaxBatch pending statuses whose pods have no write in
// flight, and marks them in flight.
func (m *Manager) take() []*gantryv1.Pod {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*gantryv1.Pod
	for k, p := range m.pending {
		if m.inFlight[k] {
			continue
		}
		out = append(out, p)
		delete(m.pending, k)
		m.inFlight[k] = true
		if len(out) == m.cfg.MaxBatch {
			break
		}
	}
	return out
}

// requeue puts back statuses that were not written, unless newer ones
// came meanwhile, and clears their in-flight marks.
func (m *Manager) requeue(batch []*gantryv1.Pod) {
	m.mu.Lock()
	for _, p := range batch {
		k := key{p.GetMetadata().GetNamespace(), p.GetMetadata().GetName()}
		if _, newer := m.pending[k]; !newer {
			m.pending[k] = p
		}
		delete(m.inFlight, k)
	}
	m.mu.Unlock()
	m.poke()
}

func (m *Manager) done(batch []*gantryv1.Pod) {
	m.mu.Lock()
	again := false
	for _, p := range batch {
		k := key{p.GetMetadata().GetNamespace(), p.GetMetadata().GetName()}
		delete(m.inFlight, k)
		if _, ok := m.pending[k]; ok {
			again = true
		}
	}
	m.mu.Unlock()
	if again {
		m.poke()
	}
}

func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// write sends one batch; ops that failed for a reason that may pass are
// retried with the next flush, those the server refused for good dropped.
func (m *Manager) write(ctx context.Context, batch []*gantryv1.Pod) {
	req := &gantryv1.BatchRequest{Ops: make([]*gantryv1.BatchOp, len(batch))}
	for i, p := range batch {
		req.Ops[i] = &gantryv1.BatchOp{Op: &gantryv1.BatchOp_UpdateStatus{UpdateStatus: &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: p}}}}
	}
	cctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	resp, err := m.w.Batch(cctx, req)
	cancel()
	m.batches.Add(1)
	if err != nil || len(resp.GetResults()) != len(batch) {
		m.failed.Add(uint64(len(batch)))
		m.log.Debug("status batch failed; retrying", zap.Int("ops", len(batch)), zap.Error(err))
		m.requeue(batch)
		return
	}
	var retry []*gantryv1.Pod
	for i, res := range resp.GetResults() {
		switch c := codes.Code(res.GetCode()); c {
		case codes.OK:
			m.ops.Add(1)
		case codes.NotFound, codes.FailedPrecondition, codes.InvalidArgument:
			m.dropped.Add(1)
			if c == codes.InvalidArgument {
				m.log.Error("pod status refused", zap.String("pod", batch[i].GetMetadata().GetNamespace()+"/"+batch[i].GetMetadata().GetName()), zap.String("error", res.GetMessage()))
			}
		default:
			m.failed.Add(1)
			retry = append(retry, batch[i])
		}
	}
	m.done(batch)
	if len(retry) > 0 {
		m.requeue(retry)
	}
}
