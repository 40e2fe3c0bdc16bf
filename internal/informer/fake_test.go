package informer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/client/clienttest"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var _ ListWatcher = (*client.Client)(nil)

func fastBackoff() client.Backoff {
	return client.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2, Jitter: 0.2}
}

// fakeLW serves List and Watch from a clienttest.Store in process.
type fakeLW struct {
	store *clienttest.Store

	mu       sync.Mutex
	lists    int
	afterNth map[int]func() // run after the n-th List call (1-based)
	opens    int
	openErrs []error // returned by the next opens, one each

	closed atomic.Bool // opens fail with UNAVAILABLE while set
}

func newFakeLW() *fakeLW {
	return &fakeLW{store: clienttest.NewStore(), afterNth: map[int]func(){}}
}

func (f *fakeLW) List(_ context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	resp, err := f.store.List(req)
	f.mu.Lock()
	f.lists++
	hook := f.afterNth[f.lists]
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return resp, err
}

func (f *fakeLW) Watch(ctx context.Context, req *gantryv1.WatchRequest) *client.Watcher {
	return client.NewWatcher(ctx, req, f.open, client.WatchOptions{Buffer: 4, MaxRetries: 1 << 20, Backoff: fastBackoff()})
}

func (f *fakeLW) open(ctx context.Context, req *gantryv1.WatchRequest) (client.WatchStream, error) {
	f.mu.Lock()
	f.opens++
	var err error
	if len(f.openErrs) > 0 {
		err, f.openErrs = f.openErrs[0], f.openErrs[1:]
	}
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if f.closed.Load() {
		return nil, status.Error(codes.Unavailable, "fake: closed")
	}
	return f.store.Watch(ctx, req)
}

func (f *fakeLW) counts() (lists, opens int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists, f.opens
}

// recorder records handler calls as "add ns/name@rv", "update ns/name
// rv->rv", "delete ns/name@rv".
type recorder struct {
	mu  sync.Mutex
	log []string
}

func key(o *gantryv1.Object) string {
	m := apimeta.Meta(o)
	return apimeta.Key(m.GetNamespace(), m.GetName())
}

func rvOf(o *gantryv1.Object) string { return apimeta.Meta(o).GetResourceVersion() }

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

func (r *recorder) handler() Handler {
	return Handler{
		OnAdd:    func(o *gantryv1.Object) { r.add("add " + key(o) + "@" + rvOf(o)) },
		OnUpdate: func(o, n *gantryv1.Object) { r.add("update " + key(n) + " " + rvOf(o) + "->" + rvOf(n)) },
		OnDelete: func(o *gantryv1.Object) { r.add("delete " + key(o) + "@" + rvOf(o)) },
	}
}

func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

func pod(name, node string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		Spec:     &gantryv1.PodSpec{NodeName: node},
	})
}

func mustCreate(t *testing.T, s *clienttest.Store, o *gantryv1.Object) {
	t.Helper()
	if _, err := s.Create(o); err != nil {
		t.Fatal(err)
	}
}

func mustUpdate(t *testing.T, s *clienttest.Store, o *gantryv1.Object) {
	t.Helper()
	if _, err := s.Update(o); err != nil {
		t.Fatal(err)
	}
}

func mustDelete(t *testing.T, s *clienttest.Store, name string) {
	t.Helper()
	if _, err := s.Delete(apimeta.KindPod, "default", name); err != nil {
		t.Fatal(err)
	}
}

// started runs an informer for pods over lw with a recorder, and stops it
// at the end of the test.
func started(t *testing.T, lw ListWatcher, mutate func(*Config), setup func(*Informer)) (*Informer, *recorder) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Kind = apimeta.KindPod
	cfg.Backoff = fastBackoff()
	if mutate != nil {
		mutate(&cfg)
	}
	inf, err := New(lw, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := inf.AddEventHandler(rec.handler()); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(inf)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- inf.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := inf.WaitForSync(wctx); err != nil {
		t.Fatalf("WaitForSync: %v", err)
	}
	return inf, rec
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func wantEvents(t *testing.T, rec *recorder, want ...string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d handler calls", len(want)), func() bool { return rec.len() >= len(want) })
	got := rec.events()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("handler calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func names(objs []*gantryv1.Object) string {
	var out []string
	for _, o := range objs {
		out = append(out, apimeta.Meta(o).GetName())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
