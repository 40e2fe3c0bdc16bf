package watch

import (
	"context"
	"errors"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// watcher is one open watch stream.
type watcher struct {
	s         *Server
	f         *Filter
	out       Sender
	bookmarks bool
	// sentRev is the revision the client is known to be up to date with,
	// and sentAt when it last heard from us.
	sentRev uint64
	sentAt  time.Time
	evs     []*store.Event
	// frame collects the parts of the response being built; pause is the
	// coalescing timer (see run).
	frame      mem.BufferSlice
	frameBytes int
	pause      *time.Timer
}

func (w *watcher) run(ctx context.Context, cur store.Cursor) error {
	log := w.s.st.Events()
	w.sentAt = time.Now()
	var timer *time.Timer
	var tick <-chan time.Time
	if w.bookmarks {
		timer = time.NewTimer(w.s.cfg.BookmarkInterval)
		defer timer.Stop()
		tick = timer.C
	}
	defer func() {
		if w.pause != nil {
			w.pause.Stop()
		}
	}()
	for {
		evs, next, wait, err := log.Read(cur, w.s.cfg.MaxBatchEvents, w.evs[:0])
		if err != nil {
			return err
		}
		w.evs = evs
		if len(evs) > 0 {
			start := time.Now()
			sent, err := w.send(evs)
			clear(w.evs) // the ring, not this watcher, decides how long events live
			if err != nil {
				return err
			}
			cur = next
			// A full batch means more is waiting: send it at once. Otherwise
			// this watcher has caught up; let what comes next gather for a
			// moment, so a busy stream carries many events per message.
			if sent && len(evs) < w.s.cfg.MaxBatchEvents {
				if err := w.coalesce(ctx, start); err != nil {
					return err
				}
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ended(ctx)
		case <-wait:
		case <-tick:
			if err := w.bookmark(cur); err != nil {
				return err
			}
			timer.Reset(w.s.cfg.BookmarkInterval)
		}
	}
}

// ended is how a watch whose context is done ends: the caller's deadline
// is the outcome (DEADLINE_EXCEEDED at the edge), not a clean end of the
// stream; a cancel ends cleanly.
func ended(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ctx.Err()
	}
	return nil
}

// coalesce waits until SendInterval has passed since the send that began
// at start. A watcher that was idle sends its next event at once; one that
// is busy sends at most one message per interval, carrying everything
// that arrived meanwhile. Under load that divides the messages, syscalls
// and wake-ups per event by the events per interval, for a delay of at
// most one interval. While it waits the watcher is not woken by appends.
func (w *watcher) coalesce(ctx context.Context, start time.Time) error {
	d := w.s.cfg.SendInterval - time.Since(start)
	if d <= 0 {
		return nil
	}
	if w.pause == nil {
		w.pause = time.NewTimer(d)
	} else {
		w.pause.Reset(d)
	}
	select {
	case <-ctx.Done():
		return ended(ctx)
	case <-w.pause.C:
		return nil
	}
}

// send writes the events that pass the filter, in order, in as few
// responses as MaxBatchBytes allows (a response ends on a command
// boundary), and reports whether it sent anything.
func (w *watcher) send(evs []*store.Event) (bool, error) {
	sent := false
	for _, ev := range evs {
		if ev.Kind == w.f.Kind {
			w.appendEvent(ev)
		}
		if ev.Last && w.frameBytes >= w.s.cfg.MaxBatchBytes {
			if err := w.flush(ev.Rev); err != nil {
				return sent, err
			}
			sent = true
		}
	}
	w.s.metrics.sent.Add(float64(len(evs)))
	// Read always ends on a command boundary, so everything up to the last
	// event's revision has now been considered for this watcher.
	last := evs[len(evs)-1].Rev
	if w.frameBytes == 0 {
		// Busy with changes this watcher filters out: still bookmark now and
		// then, or its resume point would fall off the event log.
		if !w.bookmarks || time.Since(w.sentAt) < w.s.cfg.BookmarkInterval {
			return sent, nil
		}
		w.appendPart(store.AppendEncoded(nil, bookmarkEvent(last)))
	}
	return true, w.flush(last)
}

// flush sends the response built so far; the client is then up to date
// with rev.
func (w *watcher) flush(rev uint64) error {
	f := &Frame{parts: w.frame}
	// The frame now belongs to gRPC until it is written out: start afresh.
	w.frame, w.frameBytes = nil, 0
	if err := w.out.SendMsg(f); err != nil {
		return err
	}
	w.sentRev, w.sentAt = rev, time.Now()
	return nil
}

func (w *watcher) appendPart(b []byte) {
	w.frame = append(w.frame, mem.SliceBuffer(b))
	w.frameBytes += len(b)
}

// appendEvent applies Kubernetes selector semantics: an object that starts
// matching is ADDED for this watcher, one that stops matching is DELETED.
func (w *watcher) appendEvent(ev *store.Event) {
	cur := w.f.matchMeta(ev.Object, ev.Meta)
	prev := false
	if ev.Type == gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED {
		prev = w.f.matchMeta(ev.Prev, ev.PrevMeta)
	}
	switch {
	case ev.Type != gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED || (cur && prev):
		if cur {
			// The shared encoding itself, by pointer: no copy, no allocation.
			enc := ev.EncodedRef()
			w.frame = append(w.frame, (*mem.SliceBuffer)(enc))
			w.frameBytes += len(*enc)
		}
	case cur:
		w.appendPart(store.AppendEncoded(nil, synthetic(gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, ev)))
	case prev:
		w.appendPart(store.AppendEncoded(nil, synthetic(gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED, ev)))
	}
}

func synthetic(t gantryv1.WatchEventType, ev *store.Event) *gantryv1.WatchEvent {
	obj := ev.Object
	if t == gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED {
		// As Kubernetes does, and as WatchEvent documents for DELETED: the
		// object before the change (the state that matched), at the
		// change's version.
		obj = proto.Clone(ev.Prev).(*gantryv1.Object)
		apimeta.Meta(obj).ResourceVersion = formatRev(ev.Rev)
	}
	return &gantryv1.WatchEvent{Type: t, Object: obj, ResourceVersion: formatRev(ev.Rev)}
}

// bookmark tells an idle client it is up to date with the newest revision,
// so it can resume from there instead of from its last matching event.
func (w *watcher) bookmark(cur store.Cursor) error {
	rev, idle := w.s.st.Events().IdleRev(cur)
	if !idle || rev <= w.sentRev {
		return nil
	}
	if err := w.out.SendMsg(bytesFrame(store.AppendEncoded(nil, bookmarkEvent(rev)))); err != nil {
		return err
	}
	w.sentRev, w.sentAt = rev, time.Now()
	return nil
}
