package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrExpired is wrapped by a Watcher's error when the watch cannot go on
// from where it is: the server no longer holds the history after the
// resume point (OUT_OF_RANGE; the status is wrapped too, so status.Code
// still says OutOfRange), or the stream broke before any resume point was
// known. The caller must list again and watch from the new list.
var ErrExpired = errors.New("client: watch expired, relist")

// WatchStream is one open watch stream. The generated gRPC client stream
// satisfies it; tests may fake it.
type WatchStream interface {
	Recv() (*gantryv1.WatchResponse, error)
}

// OpenWatchFunc opens a watch stream for req. Cancelling ctx ends it.
type OpenWatchFunc func(ctx context.Context, req *gantryv1.WatchRequest) (WatchStream, error)

// WatchOptions tune a Watcher; Client.Watch takes them from its Config.
type WatchOptions struct {
	// Buffer is how many responses wait for the reader (0: unbuffered).
	Buffer int
	// MaxRetries bounds consecutive failed attempts to (re)open the stream
	// that delivered nothing.
	MaxRetries int
	// Backoff spaces those attempts.
	Backoff Backoff
	// IdleTimeout, when positive, reopens a stream quiet for that long.
	IdleTimeout time.Duration
	// Logger may be nil.
	Logger *zap.Logger
}

// Watcher delivers the responses of one logical watch on a channel and
// reopens the underlying stream after UNAVAILABLE (possibly on another
// master) from the resource_version of the last response it delivered, so
// every event is delivered exactly once and in order.
type Watcher struct {
	ch     chan *gantryv1.WatchResponse
	done   chan struct{}
	cancel context.CancelFunc
	parent context.Context
	open   OpenWatchFunc
	opts   WatchOptions
	log    *zap.Logger
	base   *gantryv1.WatchRequest

	// Owned by the run goroutine.
	lastRV  string // resume point: last delivered event's resource_version
	lastN   uint64
	known   bool // lastRV is a valid resume point
	initial bool // inside send_initial_events, before its bookmark

	delivered atomic.Uint64
	mu        sync.Mutex
	err       error
}

// Watch starts a watch of req (which is copied, not kept) on the client's
// masters. The watch runs until ctx ends, Stop is called, or it fails for
// good; then Responses is closed and Err says why.
func (c *Client) Watch(ctx context.Context, req *gantryv1.WatchRequest) *Watcher {
	return NewWatcher(ctx, req, c.openWatch, WatchOptions{
		Buffer: c.cfg.WatchBuffer, MaxRetries: c.cfg.MaxRetries, Backoff: c.cfg.RetryBackoff,
		IdleTimeout: c.cfg.WatchIdleTimeout, Logger: c.log,
	})
}

func (c *Client) openWatch(ctx context.Context, req *gantryv1.WatchRequest) (WatchStream, error) {
	return c.res.Watch(ctx, req)
}

// NewWatcher runs a Watcher over streams opened by open. Client.Watch uses
// it with the gRPC stub; tests use it with fake streams.
func NewWatcher(ctx context.Context, req *gantryv1.WatchRequest, open OpenWatchFunc, opts WatchOptions) *Watcher {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &Watcher{
		ch:     make(chan *gantryv1.WatchResponse, max(opts.Buffer, 0)),
		done:   make(chan struct{}),
		cancel: cancel,
		parent: ctx,
		open:   open,
		opts:   opts,
		log:    log.With(zap.String("kind", req.GetKind())),
		base:   copyWatchRequest(req),
	}
	w.lastRV = req.GetResourceVersion()
	w.lastN, _ = strconv.ParseUint(w.lastRV, 10, 64)
	w.initial = req.GetSendInitialEvents()
	w.known = w.lastRV != "" && !w.initial
	go w.run(wctx)
	return w
}

func copyWatchRequest(r *gantryv1.WatchRequest) *gantryv1.WatchRequest {
	return &gantryv1.WatchRequest{
		Kind: r.GetKind(), Namespace: r.GetNamespace(),
		LabelSelector: r.GetLabelSelector(), FieldSelector: r.GetFieldSelector(),
		ResourceVersion: r.GetResourceVersion(), SendInitialEvents: r.GetSendInitialEvents(),
		AllowBookmarks: r.GetAllowBookmarks(),
	}
}

// Responses yields the watch's responses, each holding whole writes in
// order (bookmarks included; never empty). It is closed when the watch
// ends. The responses belong to the reader; the Watcher does not touch
// them after sending.
func (w *Watcher) Responses() <-chan *gantryv1.WatchResponse { return w.ch }

// Err says why the watch ended, once Responses is closed: nil after Stop,
// the context's error when ctx ended, an error wrapping ErrExpired when the
// caller must relist, or the last gRPC error when the watch failed for good
// (a non-retryable code, or MaxRetries attempts in a row without progress).
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// ResourceVersion returns the resource_version of the last delivered
// response ("" before the first): a caller that processed every delivered
// response may resume a new watch from it.
func (w *Watcher) ResourceVersion() string {
	if n := w.delivered.Load(); n > 0 {
		return strconv.FormatUint(n, 10)
	}
	return ""
}

// Stop ends the watch and waits until its goroutine is gone.
func (w *Watcher) Stop() {
	w.cancel()
	<-w.done
}

func (w *Watcher) finish(ctx context.Context, err error) {
	if ctx.Err() != nil {
		err = w.parent.Err() // nil when Stop cancelled only our own context
	}
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	defer close(w.ch)
	failures := 0
	for {
		progressed, err := w.attempt(ctx)
		if ctx.Err() != nil {
			w.finish(ctx, nil)
			return
		}
		if status.Code(err) == codes.OutOfRange {
			w.finish(ctx, fmt.Errorf("%w: %w", ErrExpired, err))
			return
		}
		if !resumable(err) {
			w.finish(ctx, err)
			return
		}
		if !w.known {
			w.finish(ctx, fmt.Errorf("%w: stream broke before a resume point was known: %w", ErrExpired, err))
			return
		}
		if progressed {
			failures = 0
		}
		if failures >= w.opts.MaxRetries {
			w.finish(ctx, err)
			return
		}
		w.log.Debug("resuming watch", zap.String("resource_version", w.lastRV), zap.Int("failures", failures), zap.Error(err))
		if !sleep(ctx, w.opts.Backoff.Delay(failures)) {
			w.finish(ctx, nil)
			return
		}
		failures++
	}
}

// resumable reports whether a broken stream can be reopened: the master
// went away or closed the stream without an error.
func resumable(err error) bool {
	if errors.Is(err, io.EOF) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled, codes.DeadlineExceeded:
		// Canceled/DeadlineExceeded here came from the server or from the
		// idle timeout: run checked that our own context is live.
		return true
	}
	return false
}

// attempt opens one stream and pumps it until it fails; progressed says
// whether it delivered anything.
func (w *Watcher) attempt(ctx context.Context) (progressed bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := w.base
	if w.known {
		req = copyWatchRequest(w.base)
		req.ResourceVersion, req.SendInitialEvents = w.lastRV, false
	}
	stream, err := w.open(sctx, req)
	if err != nil {
		return false, err
	}
	var idle *time.Timer
	if w.opts.IdleTimeout > 0 {
		idle = time.AfterFunc(w.opts.IdleTimeout, cancel)
		defer idle.Stop()
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			if idle != nil && sctx.Err() != nil && ctx.Err() == nil {
				w.log.Debug("watch idle, reopening", zap.Duration("idle_timeout", w.opts.IdleTimeout))
				return progressed, status.Error(codes.Unavailable, "watch idle timeout")
			}
			return progressed, err
		}
		if idle != nil {
			idle.Reset(w.opts.IdleTimeout)
		}
		resp = w.fresh(resp)
		if resp == nil {
			continue
		}
		select {
		case w.ch <- resp:
		case <-ctx.Done():
			return progressed, ctx.Err()
		}
		progressed = true
		w.advance(resp)
	}
}

// fresh drops events the watch already delivered (a server must not send
// them; this guards the exactly-once promise) and returns nil when nothing
// is left. The common case returns resp untouched without allocating.
func (w *Watcher) fresh(resp *gantryv1.WatchResponse) *gantryv1.WatchResponse {
	ev := resp.GetEvents()
	if len(ev) == 0 {
		return nil
	}
	if !w.known || w.initial {
		return resp
	}
	if n, err := strconv.ParseUint(ev[0].GetResourceVersion(), 10, 64); err != nil || n > w.lastN {
		return resp
	}
	kept := make([]*gantryv1.WatchEvent, 0, len(ev))
	for _, e := range ev {
		if n, err := strconv.ParseUint(e.GetResourceVersion(), 10, 64); err != nil || n > w.lastN {
			kept = append(kept, e)
		}
	}
	w.log.Warn("server replayed delivered watch events; dropped them",
		zap.String("resume_version", w.lastRV), zap.Int("dropped", len(ev)-len(kept)))
	if len(kept) == 0 {
		return nil
	}
	resp.Events = kept
	return resp
}

// advance records the last event of a delivered response as the resume
// point. Inside send_initial_events, events carry the objects' own
// versions, so only a bookmark (the end of the initial events) sets it.
func (w *Watcher) advance(resp *gantryv1.WatchResponse) {
	ev := resp.GetEvents()
	if w.initial {
		i := len(ev) - 1
		for i >= 0 && ev[i].GetType() != gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK {
			i--
		}
		if i < 0 {
			return
		}
		w.initial = false
	}
	rv := ev[len(ev)-1].GetResourceVersion()
	if n, err := strconv.ParseUint(rv, 10, 64); err == nil {
		w.lastRV, w.lastN, w.known = rv, n, true
		w.delivered.Store(n)
	}
}
