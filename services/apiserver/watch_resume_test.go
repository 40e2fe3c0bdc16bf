package apiserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// recorder collects the events of one watch stream in a goroutine.
type recorder struct {
	mu   sync.Mutex
	evs  []watchEvent
	err  error
	done chan struct{}
}

func record(t testing.TB, stream interface {
	Recv() (*gantryv1.WatchResponse, error)
}) *recorder {
	r := &recorder{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			resp, err := stream.Recv()
			if err != nil {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
				return
			}
			evs := flatten(t, resp)
			r.mu.Lock()
			r.evs = append(r.evs, evs...)
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *recorder) events() []watchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]watchEvent(nil), r.evs...)
}

// waitEvents waits until the recorder holds at least n events.
func (r *recorder) waitEvents(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	testutil.Eventually(t, timeout, func() error {
		if got := len(r.events()); got < n {
			return fmt.Errorf("%d events, want %d", got, n)
		}
		return nil
	})
}

// waitRV waits until the recorder holds an event at rv or later.
func (r *recorder) waitRV(t testing.TB, rv uint64, timeout time.Duration) {
	t.Helper()
	testutil.Eventually(t, timeout, func() error {
		evs := r.events()
		if len(evs) == 0 || evs[len(evs)-1].RV < rv {
			return fmt.Errorf("%d events, none at rv %d yet", len(evs), rv)
		}
		return nil
	})
}

// waitEnd waits until the stream ended and returns its error.
func (r *recorder) waitEnd(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("watch did not end within %v", timeout)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// storedConfigMaps lists the ConfigMaps through m (linearizable) by name.
func storedConfigMaps(t testing.TB, m *testutil.Member) map[string]uint64 {
	t.Helper()
	items, _, err := listAll(t.Context(), m.Resource, apimeta.KindConfigMap, gantryv1.Consistency_CONSISTENCY_LINEARIZABLE)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, o := range items {
		out[apimeta.Meta(o).GetName()] = rvOf(t, o)
	}
	return out
}

// currentRV returns the resource_version of a linearizable ConfigMap list
// through m: a watch from it sees every later write.
func currentRV(t testing.TB, m *testutil.Member) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := m.Resource.List(ctx, &gantryv1.ListRequest{Kind: apimeta.KindConfigMap, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetResourceVersion()
}

// TestWatchResumesOnAnotherMaster: a watch on master A is cut by A's crash
// mid-stream while writes go on; resumed on master B from the last
// resource_version received, the two streams together deliver every write
// exactly once, in order.
func TestWatchResumesOnAnotherMaster(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	leader := c.Leader()
	fs := c.Followers()
	a, b := fs[0], fs[1]
	mustCreate(t, leader.Resource, "before-watch") // not part of the watch

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	from := currentRV(t, a)
	// A connection of its own: the harness closes a.Resource's when a crashes.
	sa, err := dial(t, a.Cfg.Listen).Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, Namespace: "default", ResourceVersion: from})
	if err != nil {
		t.Fatal(err)
	}
	ra := record(t, sa)

	const total = 300
	log := newWriteLog()
	w := startWriters(t, log, "w", 3, func(ctx context.Context, _ int, name string) (*gantryv1.Object, error) {
		return create(ctx, leader.Resource, name, 10*time.Second)
	})
	ra.waitEvents(t, 60, 20*time.Second)
	c.Crash(a)
	err = ra.waitEnd(t, 10*time.Second)
	if status.Code(err) != codes.Unavailable {
		t.Errorf("watch on crashed master %s ended with %v, want UNAVAILABLE", a.ID, err)
	}
	first := ra.events()
	last := apimeta.FormatResourceVersion(first[len(first)-1].RV)
	if n := log.count(); n >= total {
		t.Fatalf("all %d writes were done before %s crashed; nothing to resume", n, a.ID)
	}
	t.Logf("watch on %s got %d events up to rv %s before the crash; resuming on %s", a.ID, len(first), last, b.ID)

	sb, err := b.Resource.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, Namespace: "default", ResourceVersion: last})
	if err != nil {
		t.Fatal(err)
	}
	rb := record(t, sb)
	testutil.Eventually(t, 30*time.Second, func() error {
		if n := log.count(); n < total {
			return fmt.Errorf("%d writes acknowledged, want %d", n, total)
		}
		return nil
	})
	w.stop()
	acked, errs, bad, _ := log.snapshot()
	if len(bad) > 0 || len(errs) > 0 {
		t.Fatalf("writes to the leader failed: %v %v", errs, bad)
	}
	want := storedConfigMaps(t, b)
	delete(want, "before-watch")
	if len(want) != len(acked) {
		t.Fatalf("%d ConfigMaps stored, %d writes acknowledged", len(want), len(acked))
	}
	var max uint64
	for _, rv := range want {
		max = maxU(max, rv)
	}
	rb.waitRV(t, max, 10*time.Second)
	second := rb.events()
	t.Logf("watch on %s got %d more events", b.ID, len(second))
	checkWatchedExactlyOnce(t, append(first, second...), want)
}

// dial returns a ResourceService client on its own connection to addr.
func dial(t testing.TB, addr string) gantryv1.ResourceServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return gantryv1.NewResourceServiceClient(conn)
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// TestClientWatcherFailsOver: internal/client's Watcher, on a connection
// to all three masters, carries on transparently when the master serving
// its stream crashes: every write is delivered exactly once, in order.
func TestClientWatcherFailsOver(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	mustCreate(t, c.Leader().Resource, "before-watch")
	from := currentRV(t, c.Leader())

	// Note which master serves each Watch stream the client opens.
	var (
		mu    sync.Mutex
		peers []string
	)
	cfg := client.DefaultConfig()
	for _, m := range c.Members {
		cfg.Servers = append(cfg.Servers, m.Cfg.Listen)
	}
	cfg.DialOptions = append(cfg.DialOptions, grpc.WithChainStreamInterceptor(
		func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			cs, err := streamer(ctx, desc, cc, method, opts...)
			if err == nil && method == gantryv1.ResourceService_Watch_FullMethodName {
				if p, ok := peer.FromContext(cs.Context()); ok {
					mu.Lock()
					peers = append(peers, p.Addr.String())
					mu.Unlock()
				}
			}
			return cs, err
		}))
	cl, err := client.New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	streamPeers := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), peers...)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	watcher := cl.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, Namespace: "default", ResourceVersion: from})
	defer watcher.Stop()
	rec := record(t, watcherStream{watcher})
	testutil.Eventually(t, 10*time.Second, func() error {
		if len(streamPeers()) == 0 {
			return errors.New("watch stream not open yet")
		}
		return nil
	})
	var victim *testutil.Member
	for _, m := range c.Members {
		if m.Cfg.Listen == streamPeers()[0] {
			victim = m
		}
	}
	if victim == nil {
		t.Fatalf("watch stream served by %s, which is no member", streamPeers()[0])
	}
	var writeVia []*testutil.Member
	for _, m := range c.Members {
		if m != victim {
			writeVia = append(writeVia, m)
		}
	}

	const total = 300
	log := newWriteLog()
	w := startWriters(t, log, "w", 3, func(ctx context.Context, i int, name string) (*gantryv1.Object, error) {
		return create(ctx, writeVia[i%2].Resource, name, 10*time.Second)
	})
	rec.waitEvents(t, 60, 20*time.Second)
	wasLeader := victim.Server().IsLeader()
	c.Crash(victim)
	t.Logf("crashed %s (leader: %v), which served the watch, after %d events", victim.ID, wasLeader, len(rec.events()))
	testutil.Eventually(t, 30*time.Second, func() error {
		if n := log.count(); n < total {
			return fmt.Errorf("%d writes acknowledged, want %d", n, total)
		}
		return nil
	})
	w.stop()
	acked, errs, bad, _ := log.snapshot()
	for _, b := range bad {
		t.Errorf("write error: %s", b)
	}
	t.Logf("%d writes acknowledged, errors %v", len(acked), errs)
	want := storedConfigMaps(t, writeVia[0])
	delete(want, "before-watch")
	var max uint64
	for _, rv := range want {
		max = maxU(max, rv)
	}
	for name, rv := range acked {
		if want[name] != rv {
			t.Fatalf("acknowledged %s (rv %d) is stored with rv %d", name, rv, want[name])
		}
	}
	rec.waitRV(t, max, 20*time.Second)
	checkWatchedExactlyOnce(t, rec.events(), want)
	ps := streamPeers()
	if len(ps) < 2 || ps[len(ps)-1] == victim.Cfg.Listen {
		t.Errorf("watch streams were served by %v; want a reopened stream on a master other than %s", ps, victim.Cfg.Listen)
	}
	select {
	case <-rec.done:
		t.Errorf("the Watcher ended (%v) instead of failing over", watcher.Err())
	default:
	}
	t.Logf("watch streams served by %v", ps)
}

// watcherStream adapts a client.Watcher to the recorder.
type watcherStream struct{ w *client.Watcher }

func (s watcherStream) Recv() (*gantryv1.WatchResponse, error) {
	resp, ok := <-s.w.Responses()
	if !ok {
		if err := s.w.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	return resp, nil
}
