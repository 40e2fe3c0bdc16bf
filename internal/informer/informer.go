package informer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Informer caches one kind and reports its changes.
type Informer struct {
	lw    ListWatcher
	cfg   Config
	log   *zap.Logger
	store *Store

	mu       sync.Mutex
	handlers []Handler
	started  bool

	synced   atomic.Bool
	syncedCh chan struct{}
	stopped  chan struct{}
	lastRV   atomic.Pointer[string]
}

// New returns an informer for cfg.Kind; Run starts it. A nil logger logs
// nothing.
func New(lw ListWatcher, cfg Config, logger *zap.Logger) (*Informer, error) {
	if _, ok := apimeta.Lookup(cfg.Kind); !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", ErrConfig, cfg.Kind)
	}
	if lw == nil {
		return nil, fmt.Errorf("%w: nil ListWatcher", ErrConfig)
	}
	if cfg.PageSize < 0 {
		return nil, fmt.Errorf("%w: PageSize %d < 0", ErrConfig, cfg.PageSize)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Informer{
		lw: lw, cfg: cfg, store: newStore(),
		log:      logger.Named("informer").With(zap.String("kind", cfg.Kind)),
		syncedCh: make(chan struct{}),
		stopped:  make(chan struct{}),
	}, nil
}

// Store returns the cache.
func (inf *Informer) Store() *Store { return inf.store }

// AddIndex adds an index to the cache (see Store.AddIndex).
func (inf *Informer) AddIndex(name string, fn IndexFunc) error { return inf.store.AddIndex(name, fn) }

// AddEventHandler registers h; it must be called before Run.
func (inf *Informer) AddEventHandler(h Handler) error {
	inf.mu.Lock()
	defer inf.mu.Unlock()
	if inf.started {
		return ErrStarted
	}
	inf.handlers = append(inf.handlers, h)
	return nil
}

// HasSynced reports whether the first complete list is in the cache and
// its handlers have run.
func (inf *Informer) HasSynced() bool { return inf.synced.Load() }

// WaitForSync waits until HasSynced, ctx ends (its error) or Run ends
// first (ErrStopped).
func (inf *Informer) WaitForSync(ctx context.Context) error {
	select {
	case <-inf.syncedCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-inf.stopped:
		if inf.HasSynced() {
			return nil
		}
		return ErrStopped
	}
}

// LastSyncResourceVersion returns the version the cache is known to be
// complete at: the list's version, then that of each processed watch
// response ("" before the first list).
func (inf *Informer) LastSyncResourceVersion() string {
	if p := inf.lastRV.Load(); p != nil {
		return *p
	}
	return ""
}

// Run lists and watches until ctx ends (returning nil) or the server
// rejects the request for good (INVALID_ARGUMENT, UNIMPLEMENTED: returning
// that error). Every other failure is retried with backoff.
func (inf *Informer) Run(ctx context.Context) error {
	inf.mu.Lock()
	if inf.started {
		inf.mu.Unlock()
		return ErrStarted
	}
	inf.started = true
	inf.mu.Unlock()
	defer close(inf.stopped)

	failures := 0
	for {
		rv, err := inf.relist(ctx)
		if err == nil {
			failures = 0
			err = inf.watch(ctx, rv)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case permanent(err):
			inf.log.Error("informer stopped", zap.Error(err))
			return err
		case errors.Is(err, client.ErrExpired):
			inf.log.Info("watch expired, relisting", zap.Error(err))
			continue
		}
		inf.log.Warn("list failed", zap.Int("failures", failures+1), zap.Error(err))
		if !sleep(ctx, inf.cfg.Backoff.Delay(failures)) {
			return nil
		}
		failures++
	}
}

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.Unimplemented:
		return true
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// relist reads every page, reconciles the cache with it and returns the
// first page's version.
func (inf *Informer) relist(ctx context.Context) (string, error) {
	req := &gantryv1.ListRequest{
		Kind: inf.cfg.Kind, Namespace: inf.cfg.Namespace,
		LabelSelector: inf.cfg.LabelSelector, FieldSelector: inf.cfg.FieldSelector,
		Limit: inf.cfg.PageSize,
	}
	var items []*gantryv1.Object
	rv := ""
	for {
		resp, err := inf.lw.List(ctx, req)
		if err != nil {
			return "", err
		}
		if rv == "" {
			rv = resp.GetResourceVersion()
		}
		items = append(items, resp.GetItems()...)
		next := resp.GetContinueToken()
		if next == "" {
			break
		}
		if next == req.ContinueToken {
			return "", fmt.Errorf("informer: list paging repeated token %q", next)
		}
		req.ContinueToken = next
	}
	if _, err := apimeta.ParseResourceVersion(rv); err != nil || rv == "" {
		return "", status.Errorf(codes.Internal, "informer: list returned resource_version %q", rv)
	}
	changes := inf.store.replace(items)
	inf.lastRV.Store(&rv)
	inf.log.Debug("listed", zap.String("resource_version", rv), zap.Int("items", len(items)), zap.Int("changes", len(changes)))
	for _, c := range changes {
		inf.notify(c.old, c.new)
	}
	if !inf.synced.Swap(true) {
		close(inf.syncedCh)
	}
	return rv, nil
}

// watch follows the watch from rv until it expires, fails for good or ctx
// ends; other failures reopen it from the last processed version.
func (inf *Informer) watch(ctx context.Context, rv string) error {
	failures := 0
	for {
		w := inf.lw.Watch(ctx, &gantryv1.WatchRequest{
			Kind: inf.cfg.Kind, Namespace: inf.cfg.Namespace,
			LabelSelector: inf.cfg.LabelSelector, FieldSelector: inf.cfg.FieldSelector,
			ResourceVersion: rv, AllowBookmarks: true,
		})
		progressed := false
		for resp := range w.Responses() {
			inf.process(resp)
			progressed = true
		}
		rv = inf.LastSyncResourceVersion()
		err := w.Err()
		if ctx.Err() != nil || errors.Is(err, client.ErrExpired) || permanent(err) {
			return err
		}
		if progressed {
			failures = 0
		}
		inf.log.Warn("watch failed, resuming", zap.String("resource_version", rv), zap.Int("failures", failures+1), zap.Error(err))
		if !sleep(ctx, inf.cfg.Backoff.Delay(failures)) {
			return ctx.Err()
		}
		failures++
	}
}

// process applies one watch response to the cache and calls handlers.
func (inf *Informer) process(resp *gantryv1.WatchResponse) {
	events := resp.GetEvents()
	for _, ev := range events {
		rv, err := apimeta.ParseResourceVersion(ev.GetResourceVersion())
		if err != nil {
			inf.log.Warn("ignoring event with bad resource_version", zap.String("resource_version", ev.GetResourceVersion()))
			continue
		}
		obj := ev.GetObject()
		m := apimeta.Meta(obj)
		key := apimeta.Key(m.GetNamespace(), m.GetName())
		switch ev.GetType() {
		case gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED:
			if old, ok := inf.store.upsert(key, obj, rv); ok {
				inf.notify(old, obj)
			}
		case gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED:
			if old, ok := inf.store.remove(key, rv); ok {
				if obj == nil {
					obj = old
				}
				inf.notify(obj, nil)
			}
		}
	}
	if len(events) > 0 {
		rv := events[len(events)-1].GetResourceVersion()
		if _, err := apimeta.ParseResourceVersion(rv); err == nil && rv != "" {
			inf.lastRV.Store(&rv)
		}
	}
}

// notify calls the handlers: add (old nil), update, or delete (new nil).
func (inf *Informer) notify(old, new *gantryv1.Object) {
	for _, h := range inf.handlers {
		switch {
		case old == nil:
			if h.OnAdd != nil {
				h.OnAdd(new)
			}
		case new == nil:
			if h.OnDelete != nil {
				h.OnDelete(old)
			}
		default:
			if h.OnUpdate != nil {
				h.OnUpdate(old, new)
			}
		}
	}
}
