package bench

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
)

// eventPrefix starts the name of every object the watch writer creates;
// the rest is the write's sequence number.
const eventPrefix = "e-"

// watcher is one watch stream of the watch section. Its run goroutine
// writes the fields under mu (uncontended but for drain's checks).
type watcher struct {
	ready    chan struct{} // closed at the first bookmark: the watch is live
	done     chan struct{}
	received atomic.Int64 // distinct writes received

	mu      sync.Mutex
	samples []time.Duration
	seen    []uint64 // bitset of write sequence numbers received
	dups    int
	other   int // events that were not the writer's
	last    time.Time
	err     error
}

func newWatcher(writes int) *watcher {
	return &watcher{
		ready: make(chan struct{}), done: make(chan struct{}),
		samples: make([]time.Duration, 0, writes), seen: make([]uint64, (writes+63)/64),
	}
}

// run reads the stream until ctx ends or it fails.
func (w *watcher) run(ctx context.Context, conn *grpc.ClientConn, req *gantryv1.WatchRequest) {
	defer close(w.done)
	readyOnce := sync.OnceFunc(func() { close(w.ready) })
	s, err := openRawWatch(ctx, conn, req)
	if err != nil {
		w.fail(ctx, err)
		return
	}
	f := rawFrame{onEvent: func(now time.Time, b []byte) error {
		ev, err := parseEvent(b)
		if err != nil {
			return err
		}
		if ev.typ == gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK {
			readyOnce()
			return nil
		}
		w.record(now, ev)
		return nil
	}}
	for {
		if err := s.RecvMsg(&f); err != nil {
			w.fail(ctx, err)
			return
		}
	}
}

func (w *watcher) fail(ctx context.Context, err error) {
	if ctx.Err() == nil {
		w.err = err
	}
}

func (w *watcher) record(now time.Time, ev wireEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	seq, ok := sequence(ev.name)
	if ev.typ != gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED || !ok || seq >= len(w.seen)*64 {
		w.other++
		return
	}
	word, bit := seq/64, uint64(1)<<(seq%64)
	if w.seen[word]&bit != 0 {
		w.dups++
		return
	}
	w.seen[word] |= bit
	if sent, err := strconv.ParseInt(string(ev.sent), 10, 64); err == nil {
		w.samples = append(w.samples, now.Sub(time.Unix(0, sent)))
	}
	w.last = now
	w.received.Add(1)
}

// sequence parses the number in an object name made by the writer.
func sequence(name []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(name, []byte(eventPrefix))
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(string(rest))
	return n, err == nil && n >= 0
}

// missing counts acknowledged writes this watcher has not received.
func (w *watcher) missing(acked []bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for seq, ok := range acked {
		if ok && w.seen[seq/64]&(uint64(1)<<(seq%64)) == 0 {
			n++
		}
	}
	return n
}
