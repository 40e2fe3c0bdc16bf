package status

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeWriter records batches; gate, when set, holds each call until it
// gets a value, and fail makes calls (or single ops) fail.
type fakeWriter struct {
	mu      sync.Mutex
	calls   [][]*gantryv1.Pod
	gate    chan struct{}
	failAll int
	codeFor map[string]codes.Code
	latest  map[string]string // name -> phase written last
}

func (f *fakeWriter) Batch(_ context.Context, in *gantryv1.BatchRequest, _ ...grpc.CallOption) (*gantryv1.BatchResponse, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var pods []*gantryv1.Pod
	resp := &gantryv1.BatchResponse{}
	for _, op := range in.GetOps() {
		p := op.GetUpdateStatus().GetPod()
		pods = append(pods, p)
		c := f.codeFor[p.GetMetadata().GetName()]
		if c == codes.OK && f.failAll == 0 {
			f.latest[p.GetMetadata().GetName()] = p.GetStatus().GetPhase()
		}
		resp.Results = append(resp.Results, &gantryv1.BatchResult{Code: int32(c)})
	}
	f.calls = append(f.calls, pods)
	if f.failAll > 0 {
		f.failAll--
		return nil, status.Error(codes.Unavailable, "no leader")
	}
	return resp, nil
}

func (f *fakeWriter) snapshot() (calls int, latest map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.latest {
		out[k] = v
	}
	return len(f.calls), out
}

func pod(name, phase string) *gantryv1.Pod {
	return &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name, Uid: "uid-" + name},
		Status: &gantryv1.PodStatus{Phase: phase}}
}

func run(t *testing.T, m *Manager) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCoalescesAndBatches(t *testing.T) {
	f := &fakeWriter{latest: map[string]string{}, gate: make(chan struct{})}
	cfg := DefaultConfig()
	cfg.Interval, cfg.MaxBatch, cfg.MaxInFlight = 5*time.Millisecond, 2, 1
	m := New(cfg, f, zaptest.NewLogger(t))
	run(t, m)
	m.Set(pod("a", "Pending")) // taken by the first flush, held at the gate
	eventually(t, "first flush in flight", func() bool { return m.Pending() == 0 })
	for _, ph := range []string{"Running", "Succeeded"} {
		m.Set(pod("a", ph))
	}
	m.Set(pod("b", "Running"))
	m.Set(pod("c", "Running"))
	close(f.gate)
	eventually(t, "all written", func() bool {
		_, latest := f.snapshot()
		return latest["a"] == "Succeeded" && latest["b"] == "Running" && latest["c"] == "Running"
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	// a: Pending, then only its latest status; b and c: once each. Batches
	// hold at most 2 ops.
	total := 0
	for _, c := range f.calls {
		if len(c) > 2 {
			t.Fatalf("batch of %d ops, max is 2", len(c))
		}
		total += len(c)
	}
	if total != 4 {
		t.Fatalf("%d ops written, want 4 (coalesced): %v", total, f.calls)
	}
	if s := m.Stats(); s.Ops != 4 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestRetriesFailedCallsAndDropsGonePods(t *testing.T) {
	f := &fakeWriter{latest: map[string]string{}, failAll: 2, codeFor: map[string]codes.Code{"gone": codes.NotFound, "busy": codes.Unavailable}}
	cfg := DefaultConfig()
	cfg.Interval = 5 * time.Millisecond
	m := New(cfg, f, zaptest.NewLogger(t))
	run(t, m)
	m.Set(pod("a", "Running"))
	m.Set(pod("gone", "Running"))
	eventually(t, "a written after two failed calls", func() bool { _, l := f.snapshot(); return l["a"] == "Running" })
	eventually(t, "gone dropped", func() bool { return m.Stats().Dropped == 1 })
	m.Set(pod("busy", "Running"))
	eventually(t, "busy retried", func() bool { n, _ := f.snapshot(); return n >= 6 })
	f.mu.Lock()
	delete(f.codeFor, "busy")
	f.mu.Unlock()
	eventually(t, "busy written", func() bool { _, l := f.snapshot(); return l["busy"] == "Running" })
	if m.Pending() != 0 {
		t.Fatalf("%d pending", m.Pending())
	}
}

func TestForgetDropsUnwritten(t *testing.T) {
	f := &fakeWriter{latest: map[string]string{}}
	m := New(DefaultConfig(), f, zaptest.NewLogger(t))
	m.Set(pod("a", "Running"))
	m.Forget("default", "a")
	if m.Pending() != 0 {
		t.Fatal("forget kept the status")
	}
	if _, err := f.Batch(context.Background(), &gantryv1.BatchRequest{}); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
