package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
)

// Config tunes watch serving.
type Config struct {
	// BookmarkInterval is how often an idle watch that allows bookmarks is
	// told how far it has got.
	BookmarkInterval time.Duration
	// MaxBatchEvents and MaxBatchBytes bound one response (a response is
	// extended to finish a command, and commands are size-capped).
	MaxBatchEvents int
	MaxBatchBytes  int
	// CatchUpTimeout bounds the wait for this master to reach a requested
	// resource_version it has not applied yet.
	CatchUpTimeout time.Duration
	// SendInterval is the least time between the starts of two responses
	// of one watch while changes keep coming (0: send each read at once).
	// The first change after a quiet spell goes out at once; later ones
	// wait at most this long and share a message.
	SendInterval time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{BookmarkInterval: 10 * time.Second, MaxBatchEvents: 1000, MaxBatchBytes: 4 << 20, CatchUpTimeout: 5 * time.Second,
		SendInterval: 10 * time.Millisecond}
}

// Sender is the part of a gRPC server stream a watch writes to.
type Sender interface {
	SendMsg(m any) error
	Context() context.Context
}

// Catcher waits until the local store has applied a revision.
type Catcher interface {
	WaitApplied(ctx context.Context, rev uint64) error
}

// Server serves watches from one store.
type Server struct {
	cfg     Config
	st      *store.Store
	catcher Catcher
	metrics *metrics
}

// Errors a watch ends with; the API edge turns them into gRPC codes.
var (
	ErrInvalid = errors.New("invalid watch request")
	// ErrTooOld wraps store.ErrCompacted: relist, then watch again.
	ErrTooOld = store.ErrCompacted
)

// New returns a watch server over st.
func New(cfg Config, st *store.Store, c Catcher) *Server {
	return &Server{cfg: cfg, st: st, catcher: c, metrics: newMetrics()}
}

// Serve streams the changes req asks for until ctx ends or an error.
func (s *Server) Serve(ctx context.Context, req *gantryv1.WatchRequest, f *Filter, out Sender) error {
	s.metrics.watchers.Inc()
	defer s.metrics.watchers.Dec()
	cur, err := s.start(ctx, req, f, out)
	if err != nil {
		return err
	}
	w := &watcher{s: s, f: f, out: out, bookmarks: req.GetAllowBookmarks()}
	return w.run(ctx, cur)
}

// start finds where the watch begins, sending initial events if asked.
func (s *Server) start(ctx context.Context, req *gantryv1.WatchRequest, f *Filter, out Sender) (store.Cursor, error) {
	rv, err := apimeta.ParseResourceVersion(req.GetResourceVersion())
	if err != nil {
		return store.Cursor{}, fmt.Errorf("%w: resource_version %q: must be a decimal number", ErrInvalid, req.GetResourceVersion())
	}
	if req.GetSendInitialEvents() {
		if rv != 0 {
			return store.Cursor{}, fmt.Errorf("%w: send_initial_events requires an empty resource_version", ErrInvalid)
		}
		return s.sendInitial(f, out, req.GetAllowBookmarks())
	}
	if rv == 0 {
		return s.st.Events().CursorAfter(s.st.Revision())
	}
	// Never answer from older state than the client has seen elsewhere.
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CatchUpTimeout)
	defer cancel()
	if err := s.catcher.WaitApplied(cctx, rv); err != nil {
		return store.Cursor{}, err
	}
	return s.st.Events().CursorAfter(rv)
}

// sendInitial sends every matching object as ADDED, then (with bookmarks)
// a BOOKMARK at the list's revision, and returns the cursor after it.
func (s *Server) sendInitial(f *Filter, out Sender, bookmark bool) (store.Cursor, error) {
	var (
		buf  []byte
		n    int
		next string
		rev  uint64
	)
	// A frozen copy-on-write view keeps every page at one revision without
	// holding the store's lock while we encode and send.
	snap := s.st.Snapshot()
	rev = snap.Revision()
	// Take the position now: if the log moves past it while we send, the
	// watch's first read reports that instead of silently skipping events.
	cur, err := s.st.Events().CursorAfter(rev)
	if err != nil {
		return store.Cursor{}, err
	}
	for first := true; first || next != ""; first = false {
		page, err := snap.List(f.Kind.Name, store.ListOptions{Namespace: f.Namespace, After: next, Limit: s.cfg.MaxBatchEvents, Match: f.Match})
		if err != nil {
			return store.Cursor{}, err
		}
		next = page.Next
		for _, o := range page.Items {
			buf = store.AppendEncoded(buf, &gantryv1.WatchEvent{Type: gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, Object: o, ResourceVersion: apimeta.Meta(o).GetResourceVersion()})
			if n++; n >= s.cfg.MaxBatchEvents || len(buf) >= s.cfg.MaxBatchBytes {
				if err := out.SendMsg(bytesFrame(buf)); err != nil {
					return store.Cursor{}, err
				}
				buf, n = nil, 0
			}
		}
	}
	if bookmark {
		buf = store.AppendEncoded(buf, bookmarkEvent(rev))
	}
	if len(buf) > 0 {
		if err := out.SendMsg(bytesFrame(buf)); err != nil {
			return store.Cursor{}, err
		}
	}
	return cur, nil
}

func bookmarkEvent(rev uint64) *gantryv1.WatchEvent {
	return &gantryv1.WatchEvent{Type: gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK, ResourceVersion: apimeta.FormatResourceVersion(rev)}
}
