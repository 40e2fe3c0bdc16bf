package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client/clienttest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// collector drains a Watcher in the background.
type collector struct {
	mu     sync.Mutex
	events []*gantryv1.WatchEvent
	done   chan struct{}
}

func collect(w *Watcher) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for resp := range w.Responses() {
			c.mu.Lock()
			c.events = append(c.events, resp.GetEvents()...)
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) count(t gantryv1.WatchEventType) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.events {
		if e.GetType() == t {
			n++
		}
	}
	return n
}

func (c *collector) versions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.events))
	for _, e := range c.events {
		if e.GetType() != gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK {
			out = append(out, e.GetResourceVersion())
		}
	}
	return out
}

// checkExactlyOnce asserts the collected events are versions from+1..to,
// each once, in order.
func checkExactlyOnce(t *testing.T, c *collector, from, to int) {
	t.Helper()
	got := c.versions()
	if len(got) != to-from {
		t.Fatalf("got %d events, want %d (lost or duplicated): %v", len(got), to-from, got)
	}
	for i, v := range got {
		if v != strconv.Itoa(from+1+i) {
			t.Fatalf("event %d has version %s, want %d: %v", i, v, from+1+i, got)
		}
	}
}

const added = gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED

func TestWatchResumesWithoutLossOrDuplicates(t *testing.T) {
	store := clienttest.NewStore()
	a, b := clienttest.Start(t, store), clienttest.Start(t, store)
	c := newClient(t, testConfig(a.Addr(), b.Addr()))
	w := c.Watch(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "0"})
	defer w.Stop()
	col := collect(w)

	const total = 400
	writes := make(chan error, 1)
	go func() {
		for i := range total {
			if _, err := store.Create(pod("default", fmt.Sprintf("p%03d", i))); err != nil {
				writes <- err
				return
			}
		}
		writes <- nil
	}()
	for i := 1; i <= 5; i++ {
		eventually(t, "events before a break", func() bool { return col.count(added) >= i*total/6 })
		opened := store.WatchesOpened()
		store.BreakWatches()
		eventually(t, "the watch to reopen", func() bool { return store.WatchesOpened() > opened })
	}
	if err := <-writes; err != nil {
		t.Fatal(err)
	}
	eventually(t, "every event", func() bool { return col.count(added) >= total })
	w.Stop()
	<-col.done
	checkExactlyOnce(t, col, 0, total)
	if opened := a.Calls("Watch") + b.Calls("Watch"); opened != 6 {
		t.Fatalf("watch opened %d times, want 6 (once, then after each of 5 breaks)", opened)
	}
	if err := w.Err(); err != nil {
		t.Fatalf("Err after Stop = %v, want nil", err)
	}
}

func TestWatchFailsOverWhenMasterStops(t *testing.T) {
	store := clienttest.NewStore()
	a, b := clienttest.Start(t, store), clienttest.Start(t, store)
	c := newClient(t, testConfig(a.Addr(), b.Addr()))
	w := c.Watch(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "0"})
	defer w.Stop()
	col := collect(w)
	for i := range 10 {
		if _, err := store.Create(pod("default", fmt.Sprintf("p%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the first events", func() bool { return col.count(added) == 10 })
	eventually(t, "the watch to be open on one master", func() bool { return a.Watches()+b.Watches() == 1 })
	host, other := a, b
	if b.Watches() == 1 {
		host, other = b, a
	}
	host.Stop()
	for i := 10; i < 20; i++ {
		if _, err := store.Create(pod("default", fmt.Sprintf("p%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the events after failover", func() bool { return col.count(added) >= 20 })
	eventually(t, "the watch to move to the other master", func() bool { return other.Watches() == 1 })
	w.Stop()
	<-col.done
	checkExactlyOnce(t, col, 0, 20)
}

func TestWatchFromCompactedVersionIsExpired(t *testing.T) {
	store := clienttest.NewStore()
	for i := range 3 {
		if _, err := store.Create(pod("default", fmt.Sprintf("p%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	store.Compact()
	srv := clienttest.Start(t, store)
	c := newClient(t, testConfig(srv.Addr()))
	w := c.Watch(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "1"})
	for resp := range w.Responses() {
		t.Fatalf("expired watch delivered %v", resp)
	}
	err := w.Err()
	if !errors.Is(err, ErrExpired) || status.Code(err) != codes.OutOfRange {
		t.Fatalf("Err = %v; want ErrExpired wrapping OUT_OF_RANGE", err)
	}
}

// gate makes an OpenWatchFunc over a store fail with UNAVAILABLE while
// closed, and records the requests it was asked to open.
type gate struct {
	store  *clienttest.Store
	closed atomic.Bool
	mu     sync.Mutex
	reqs   []string
}

func (g *gate) open(ctx context.Context, req *gantryv1.WatchRequest) (WatchStream, error) {
	g.mu.Lock()
	g.reqs = append(g.reqs, req.GetResourceVersion())
	g.mu.Unlock()
	if g.closed.Load() {
		return nil, status.Error(codes.Unavailable, "gate closed")
	}
	return g.store.Watch(ctx, req)
}

func (g *gate) opened() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.reqs)
}

func TestWatchExpiresWhileDisconnected(t *testing.T) {
	store := clienttest.NewStore()
	g := &gate{store: store}
	w := NewWatcher(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "0"}, g.open,
		WatchOptions{MaxRetries: 1 << 20, Backoff: fastBackoff()})
	defer w.Stop()
	col := collect(w)
	if _, err := store.Create(pod("default", "a")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first event", func() bool { return col.count(added) == 1 })
	g.closed.Store(true)
	store.BreakWatches()
	n := g.opened()
	eventually(t, "a failed reopen", func() bool { return g.opened() > n })
	for _, name := range []string{"b", "c"} {
		if _, err := store.Create(pod("default", name)); err != nil {
			t.Fatal(err)
		}
	}
	store.Compact()
	g.closed.Store(false)
	<-col.done
	if err := w.Err(); !errors.Is(err, ErrExpired) || status.Code(err) != codes.OutOfRange {
		t.Fatalf("Err = %v; want ErrExpired wrapping OUT_OF_RANGE", err)
	}
	if got := col.versions(); len(got) != 1 {
		t.Fatalf("delivered %v, want only version 1", got)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if last := g.reqs[len(g.reqs)-1]; last != "1" {
		t.Fatalf("reopened from %q, want the last delivered version 1", last)
	}
}

// scripted is a WatchStream that replays responses, then fails or blocks.
type scripted struct {
	ctx   context.Context
	resps []*gantryv1.WatchResponse
	end   error // nil: block until ctx ends
}

func (s *scripted) Recv() (*gantryv1.WatchResponse, error) {
	if len(s.resps) > 0 {
		r := s.resps[0]
		s.resps = s.resps[1:]
		return r, nil
	}
	if s.end != nil {
		return nil, s.end
	}
	<-s.ctx.Done()
	return nil, status.FromContextError(s.ctx.Err()).Err()
}

func resp(versions ...int) *gantryv1.WatchResponse {
	r := &gantryv1.WatchResponse{}
	for _, v := range versions {
		r.Events = append(r.Events, &gantryv1.WatchEvent{Type: added, Object: pod("default", fmt.Sprint("p", v)),
			ResourceVersion: strconv.Itoa(v)})
	}
	return r
}

func TestWatchDropsEventsAServerReplays(t *testing.T) {
	var mu sync.Mutex
	var reqs []string
	open := func(ctx context.Context, req *gantryv1.WatchRequest) (WatchStream, error) {
		mu.Lock()
		defer mu.Unlock()
		reqs = append(reqs, req.GetResourceVersion())
		if len(reqs) == 1 {
			return &scripted{ctx: ctx, resps: []*gantryv1.WatchResponse{resp(1, 2), resp(3)},
				end: status.Error(codes.Unavailable, "gone")}, nil
		}
		// A buggy master replays 2 and 3.
		return &scripted{ctx: ctx, resps: []*gantryv1.WatchResponse{resp(2, 3), resp(2, 3, 4), resp(5)}}, nil
	}
	w := NewWatcher(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "0"}, open,
		WatchOptions{MaxRetries: 3, Backoff: fastBackoff()})
	col := collect(w)
	eventually(t, "five events", func() bool { return col.count(added) >= 5 })
	if w.ResourceVersion() != "5" {
		t.Fatalf("ResourceVersion = %q, want 5", w.ResourceVersion())
	}
	w.Stop()
	<-col.done
	checkExactlyOnce(t, col, 0, 5)
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 || reqs[1] != "3" {
		t.Fatalf("opened with versions %v, want [0 3]", reqs)
	}
}

func TestWatchWithoutResumePointExpiresOnBreak(t *testing.T) {
	open := func(ctx context.Context, req *gantryv1.WatchRequest) (WatchStream, error) {
		return &scripted{ctx: ctx, end: status.Error(codes.Unavailable, "gone")}, nil
	}
	w := NewWatcher(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod}, open, WatchOptions{MaxRetries: 3})
	<-collect(w).done
	if err := w.Err(); !errors.Is(err, ErrExpired) || status.Code(err) != codes.Unavailable {
		t.Fatalf("Err = %v; want ErrExpired (nothing to resume from) wrapping UNAVAILABLE", err)
	}
}

func TestWatchGivesUpAfterMaxRetriesAndOnFinalCodes(t *testing.T) {
	var opens atomic.Int64
	open := func(ctx context.Context, req *gantryv1.WatchRequest) (WatchStream, error) {
		opens.Add(1)
		return nil, status.Error(codes.Unavailable, "down")
	}
	w := NewWatcher(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "7"}, open,
		WatchOptions{MaxRetries: 3, Backoff: fastBackoff()})
	<-collect(w).done
	if status.Code(w.Err()) != codes.Unavailable || opens.Load() != 4 {
		t.Fatalf("Err = %v after %d opens; want UNAVAILABLE after 4", w.Err(), opens.Load())
	}

	opens.Store(0)
	open = func(ctx context.Context, req *gantryv1.WatchRequest) (WatchStream, error) {
		opens.Add(1)
		return nil, status.Error(codes.InvalidArgument, "bad selector")
	}
	w = NewWatcher(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "7"}, open,
		WatchOptions{MaxRetries: 3, Backoff: fastBackoff()})
	<-collect(w).done
	if status.Code(w.Err()) != codes.InvalidArgument || opens.Load() != 1 {
		t.Fatalf("Err = %v after %d opens; want INVALID_ARGUMENT after 1", w.Err(), opens.Load())
	}
}

func TestWatchIdleTimeoutReopens(t *testing.T) {
	store := clienttest.NewStore()
	g := &gate{store: store}
	w := NewWatcher(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "0"}, g.open,
		WatchOptions{MaxRetries: 1 << 20, Backoff: fastBackoff(), IdleTimeout: 20 * time.Millisecond})
	defer w.Stop()
	col := collect(w)
	eventually(t, "an idle stream to be reopened", func() bool { return g.opened() >= 3 })
	if _, err := store.Create(pod("default", "a")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the event", func() bool { return col.count(added) == 1 })
	w.Stop()
	<-col.done
	checkExactlyOnce(t, col, 0, 1)
}

func TestWatchInitialEventsResumeFromBookmark(t *testing.T) {
	store := clienttest.NewStore()
	for _, n := range []string{"a", "b"} {
		if _, err := store.Create(pod("default", n)); err != nil {
			t.Fatal(err)
		}
	}
	g := &gate{store: store}
	w := NewWatcher(testCtx(t), &gantryv1.WatchRequest{Kind: apimeta.KindPod, SendInitialEvents: true, AllowBookmarks: true},
		g.open, WatchOptions{MaxRetries: 100, Backoff: fastBackoff()})
	defer w.Stop()
	col := collect(w)
	eventually(t, "the initial events", func() bool {
		return col.count(gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK) == 1
	})
	store.BreakWatches()
	if _, err := store.Create(pod("default", "c")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the event after the break", func() bool { return col.count(added) >= 3 })
	w.Stop()
	<-col.done
	checkExactlyOnce(t, col, 0, 3)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.reqs) < 2 || g.reqs[1] != "2" {
		t.Fatalf("opened with versions %q, want a reopen from the bookmark's 2", g.reqs)
	}
}

func TestWatchEndsWithContext(t *testing.T) {
	store := clienttest.NewStore()
	ctx, cancel := context.WithCancel(context.Background())
	w := NewWatcher(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindPod, ResourceVersion: "0"},
		(&gate{store: store}).open, WatchOptions{})
	cancel()
	<-collect(w).done
	if !errors.Is(w.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", w.Err())
	}
}
