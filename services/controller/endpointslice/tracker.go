package endpointslice

import (
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// tracker remembers the slice versions this controller wrote and has not
// yet seen come back through its cache, per Service (Kubernetes'
// endpointSliceTracker). Two questions use it:
//   - may a sync trust the cache? Not while a slice it wrote is missing
//     from the cache, older there than written, or still there after a
//     delete: the sync would undo or repeat its own writes.
//   - does a slice event need a sync? Not when it is the echo of the
//     controller's own write.
type tracker struct {
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	// bySvc maps "namespace/service" to slice name to what was written.
	bySvc map[string]map[string]written
}

type written struct {
	rv      uint64
	deleted bool
	at      time.Time
}

func newTracker(ttl time.Duration, now func() time.Time) *tracker {
	return &tracker{ttl: ttl, now: now, bySvc: map[string]map[string]written{}}
}

// wrote records a create or update that returned obj.
func (t *tracker) wrote(svc string, s *gantryv1.EndpointSlice) {
	rv, err := apimeta.ParseResourceVersion(s.GetMetadata().GetResourceVersion())
	if err != nil || rv == 0 {
		return
	}
	t.set(svc, s.GetMetadata().GetName(), written{rv: rv, at: t.now()})
}

// deleted records a delete of the slice name.
func (t *tracker) deleted(svc, name string) {
	t.set(svc, name, written{deleted: true, at: t.now()})
}

func (t *tracker) set(svc, name string, w written) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.bySvc[svc]
	if m == nil {
		m = map[string]written{}
		t.bySvc[svc] = m
	}
	m[name] = w
}

// stale reports whether the cached slices of svc miss a write of this
// controller. Records older than the TTL are dropped.
func (t *tracker) stale(svc string, cached []*gantryv1.EndpointSlice) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.bySvc[svc]
	if len(m) == 0 {
		return false
	}
	have := make(map[string]uint64, len(cached))
	for _, s := range cached {
		rv, _ := apimeta.ParseResourceVersion(s.GetMetadata().GetResourceVersion())
		have[s.GetMetadata().GetName()] = rv
	}
	now := t.now()
	stale := false
	for name, w := range m {
		if now.Sub(w.at) > t.ttl {
			delete(m, name)
			continue
		}
		rv, ok := have[name]
		if (w.deleted && ok) || (!w.deleted && (!ok || rv < w.rv)) {
			stale = true
		}
	}
	if len(m) == 0 {
		delete(t.bySvc, svc)
	}
	return stale
}

// observe takes a slice event (deleted: the slice left the cache) and
// reports whether the Service needs a sync: true unless the event is this
// controller's own write coming back, or an older version of a slice it
// has written since.
func (t *tracker) observe(svc string, s *gantryv1.EndpointSlice, deleted bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.bySvc[svc]
	name := s.GetMetadata().GetName()
	w, ok := m[name]
	if !ok {
		return true
	}
	rv, _ := apimeta.ParseResourceVersion(s.GetMetadata().GetResourceVersion())
	sync := false
	switch {
	case deleted:
		delete(m, name)
		sync = !w.deleted
	case w.deleted || rv < w.rv:
		// An earlier version, before the write it is waiting for.
	default:
		delete(m, name)
		sync = rv > w.rv
	}
	if len(m) == 0 {
		delete(t.bySvc, svc)
	}
	return sync
}

// forget drops what was recorded for a Service (it was deleted).
func (t *tracker) forget(svc string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.bySvc, svc)
}

// len returns how many writes are awaited (for tests).
func (t *tracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.bySvc {
		n += len(m)
	}
	return n
}
