package e2e

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// writers create ConfigMaps with unique names continuously through one
// failover client and record the outcome of every write.
type writers struct {
	cl     *client.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	acked     map[string]string // name -> data["seq"] of every acknowledged write
	uncertain map[string]bool   // failed writes that may or may not have applied
	bad       []string          // failures no correct cluster produces
	errCodes  map[codes.Code]int
	successes []write // acknowledged writes
}

type write struct {
	name       string
	start, end time.Time
}

// label marks the writers' objects.
const writerLabel = "e2e-writer"

func startWriters(cl *client.Client, n int) *writers {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writers{cl: cl, cancel: cancel, acked: map[string]string{}, uncertain: map[string]bool{}, errCodes: map[codes.Code]int{}}
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go w.run(ctx, i)
	}
	return w
}

func (w *writers) run(ctx context.Context, id int) {
	defer w.wg.Done()
	for seq := 0; ctx.Err() == nil; seq++ {
		name := fmt.Sprintf("w%d-%d", id, seq)
		val := strconv.Itoa(seq)
		obj := configMap(name, map[string]string{writerLabel: strconv.Itoa(id)}, map[string]string{"seq": val})
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := w.cl.Create(cctx, obj)
		cancel()
		end := time.Now()
		w.mu.Lock()
		switch code := status.Code(err); {
		case err == nil:
			w.acked[name] = val
			w.successes = append(w.successes, write{name: name, start: start, end: end})
		case code == codes.Unavailable || code == codes.DeadlineExceeded || code == codes.Canceled:
			// The outcome is unknown (the client retried what provably did
			// not apply): the object may or may not exist.
			w.uncertain[name] = true
			w.errCodes[code]++
		default:
			// AlreadyExists would mean a write was applied twice.
			w.bad = append(w.bad, fmt.Sprintf("%s: %v", name, err))
			w.errCodes[code]++
		}
		w.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			// Do not spin while the cluster has no leader; the client has
			// already backed off for what it retried.
			t := time.NewTimer(20 * time.Millisecond)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
}

// stop ends the writers and waits for them.
func (w *writers) stop() {
	w.cancel()
	w.wg.Wait()
}

// ackedSince counts acknowledged writes that started after t.
func (w *writers) ackedSince(t time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, s := range w.successes {
		if s.start.After(t) {
			n++
		}
	}
	return n
}

// longestGap returns the longest time between two consecutive
// acknowledgements (by completion time) after after, and when it began.
func (w *writers) longestGap(after time.Time) (gap time.Duration, from time.Time) {
	w.mu.Lock()
	var ends []time.Time
	for _, s := range w.successes {
		if s.end.After(after) {
			ends = append(ends, s.end)
		}
	}
	w.mu.Unlock()
	sort.Slice(ends, func(i, j int) bool { return ends[i].Before(ends[j]) })
	for i := 1; i < len(ends); i++ {
		if d := ends[i].Sub(ends[i-1]); d > gap {
			gap, from = d, ends[i-1]
		}
	}
	return gap, from
}

// firstAckAfter returns the completion time of the first acknowledged
// write that started after t.
func (w *writers) firstAckAfter(t time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first time.Time
	for _, s := range w.successes {
		if s.start.After(t) && (first.IsZero() || s.end.Before(first)) {
			first = s.end
		}
	}
	return first, !first.IsZero()
}

// watchRecorder follows one failover watch and checks, as events arrive,
// that they come in resource_version order and that no object is ADDED
// twice.
type watchRecorder struct {
	w *client.Watcher

	mu      sync.Mutex
	added   map[string]uint64 // name -> resource_version of its ADDED event
	lastRV  uint64
	badness []string
	done    chan struct{}
}

func startWatchRecorder(ctx context.Context, cl *client.Client, req *gantryv1.WatchRequest) *watchRecorder {
	return recordWatch(cl.Watch(ctx, req))
}

// startPinnedWatchRecorder opens the watch's first stream on one master
// (first) and every resumed one through the failover client, as
// Client.Watch would.
func startPinnedWatchRecorder(ctx context.Context, cl *client.Client, first gantryv1.ResourceServiceClient, req *gantryv1.WatchRequest) *watchRecorder {
	var opened atomic.Bool
	open := func(ctx context.Context, req *gantryv1.WatchRequest) (client.WatchStream, error) {
		if !opened.Swap(true) {
			return first.Watch(ctx, req)
		}
		return cl.Resources().Watch(ctx, req)
	}
	cfg := client.DefaultConfig()
	return recordWatch(client.NewWatcher(ctx, req, open, client.WatchOptions{
		Buffer: cfg.WatchBuffer, MaxRetries: cfg.MaxRetries, Backoff: cfg.RetryBackoff}))
}

func recordWatch(w *client.Watcher) *watchRecorder {
	r := &watchRecorder{w: w, added: map[string]uint64{}, done: make(chan struct{})}
	go r.run()
	return r
}

func (r *watchRecorder) run() {
	defer close(r.done)
	for resp := range r.w.Responses() {
		r.mu.Lock()
		for _, ev := range resp.GetEvents() {
			rv, err := apimeta.ParseResourceVersion(ev.GetResourceVersion())
			name := apimeta.Meta(ev.GetObject()).GetName()
			switch {
			case err != nil:
				r.badness = append(r.badness, fmt.Sprintf("event %v: %v", ev, err))
			case ev.GetType() == gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK:
				if rv < r.lastRV {
					r.badness = append(r.badness, fmt.Sprintf("bookmark %d after event %d", rv, r.lastRV))
				}
			case rv <= r.lastRV:
				r.badness = append(r.badness, fmt.Sprintf("%s %s at %d after %d", ev.GetType(), name, rv, r.lastRV))
			case ev.GetType() != gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED:
				r.badness = append(r.badness, fmt.Sprintf("unexpected %s %s at %d", ev.GetType(), name, rv))
			default:
				if prev, dup := r.added[name]; dup {
					r.badness = append(r.badness, fmt.Sprintf("%s ADDED twice, at %d and %d", name, prev, rv))
				}
				r.added[name] = rv
			}
			if rv > r.lastRV {
				r.lastRV = rv
			}
		}
		r.mu.Unlock()
	}
}

// check reports (as nil) whether the watch has delivered exactly want.
func (r *watchRecorder) check(want map[string]uint64) error {
	select {
	case <-r.done:
		return fmt.Errorf("watch ended: %v", r.w.Err())
	default:
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.badness) > 0 {
		return fmt.Errorf("%d bad events, e.g. %s", len(r.badness), r.badness[0])
	}
	for name, rv := range want {
		if got, ok := r.added[name]; !ok || got != rv {
			return fmt.Errorf("%s (resource_version %d) not delivered (have %d events up to %d)", name, rv, len(r.added), r.lastRV)
		}
	}
	if len(r.added) != len(want) {
		return fmt.Errorf("delivered %d objects, want %d", len(r.added), len(want))
	}
	return nil
}
