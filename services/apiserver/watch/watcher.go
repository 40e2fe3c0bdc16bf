package watch

import (
	"context"
	"errors"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
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
	for {
		evs, next, wait, err := log.Read(cur, w.s.cfg.MaxBatchEvents, w.evs[:0])
		if err != nil {
			return err
		}
		w.evs = evs
		if len(evs) > 0 {
			if err := w.send(evs); err != nil {
				return err
			}
			cur = next
			continue
		}
		select {
		case <-ctx.Done():
			// The caller's deadline is the outcome (DEADLINE_EXCEEDED at the
			// edge), not a clean end of the stream; a cancel ends cleanly.
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return ctx.Err()
			}
			return nil
		case <-wait:
		case <-tick:
			if err := w.bookmark(cur); err != nil {
				return err
			}
			timer.Reset(w.s.cfg.BookmarkInterval)
		}
	}
}

// send writes the events that pass the filter, in order, as one response.
func (w *watcher) send(evs []*store.Event) error {
	var buf []byte
	for _, ev := range evs {
		if ev.Kind != w.f.Kind {
			continue
		}
		buf = w.appendEvent(buf, ev)
	}
	// Read always ends on a command boundary, so everything up to the last
	// event's revision has now been considered for this watcher.
	last := evs[len(evs)-1].Rev
	w.s.metrics.sent.Add(float64(len(evs)))
	if len(buf) == 0 {
		// Busy with changes this watcher filters out: still bookmark now and
		// then, or its resume point would fall off the event log.
		if !w.bookmarks || time.Since(w.sentAt) < w.s.cfg.BookmarkInterval {
			return nil
		}
		buf = store.AppendEncoded(buf, bookmarkEvent(last))
	}
	if err := w.out.SendMsg(&Frame{B: buf}); err != nil {
		return err
	}
	w.sentRev, w.sentAt = last, time.Now()
	return nil
}

// appendEvent applies Kubernetes selector semantics: an object that starts
// matching is ADDED for this watcher, one that stops matching is DELETED.
func (w *watcher) appendEvent(buf []byte, ev *store.Event) []byte {
	cur := w.f.Match(ev.Object)
	prev := false
	if ev.Type == gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED {
		prev = w.f.Match(ev.Prev)
	}
	switch {
	case ev.Type != gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED || (cur && prev):
		if cur {
			return append(buf, ev.Encoded()...)
		}
		return buf
	case cur:
		return store.AppendEncoded(buf, synthetic(gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, ev))
	case prev:
		return store.AppendEncoded(buf, synthetic(gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED, ev))
	}
	return buf
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
	if err := w.out.SendMsg(&Frame{B: store.AppendEncoded(nil, bookmarkEvent(rev))}); err != nil {
		return err
	}
	w.sentRev, w.sentAt = rev, time.Now()
	return nil
}
