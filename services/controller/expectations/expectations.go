package expectations

import (
	"sync"
	"time"

	"github.com/gantryio/gantry/internal/workqueue"
)

// DefaultTTL is how long unmet expectations hold a key back (Kubernetes'
// ExpectationsTimeout).
const DefaultTTL = 5 * time.Minute

// Expectations are safe for concurrent use.
type Expectations struct {
	clock workqueue.Clock
	ttl   time.Duration

	mu sync.Mutex
	m  map[string]*record
}

type record struct {
	adds int
	dels map[string]struct{}
	at   time.Time
}

// New returns empty expectations on clock (RealClock when nil) that expire
// after ttl (DefaultTTL when <= 0).
func New(clock workqueue.Clock, ttl time.Duration) *Expectations {
	if clock == nil {
		clock = workqueue.RealClock{}
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Expectations{clock: clock, ttl: ttl, m: map[string]*record{}}
}

// Expect replaces key's expectations: adds creations, and the deletions of
// the objects named in dels (their "namespace/name" keys). Call it before
// issuing the writes, so that events racing the replies are counted.
func (e *Expectations) Expect(key string, adds int, dels []string) {
	r := &record{adds: adds, at: e.clock.Now()}
	if len(dels) > 0 {
		r.dels = make(map[string]struct{}, len(dels))
		for _, d := range dels {
			r.dels[d] = struct{}{}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = r
}

// CreationObserved counts one creation for key as seen (or as failed: a
// create that did not happen will never be seen).
func (e *Expectations) CreationObserved(key string) { e.LowerCreations(key, 1) }

// LowerCreations counts n creations as seen or failed.
func (e *Expectations) LowerCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.m[key]; ok && r.adds > 0 {
		r.adds = max(r.adds-n, 0)
	}
}

// DeletionObserved counts the deletion of object objKey for key as seen
// (or as failed).
func (e *Expectations) DeletionObserved(key, objKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.m[key]; ok {
		delete(r.dels, objKey)
	}
}

// Satisfied reports whether key has nothing outstanding (or its
// expectations expired, or it has none).
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.m[key]
	if !ok || (r.adds <= 0 && len(r.dels) == 0) {
		return true
	}
	return e.clock.Now().Sub(r.at) > e.ttl
}

// Pending returns the creations and deletions key still waits for.
func (e *Expectations) Pending(key string) (adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.m[key]; ok {
		return r.adds, len(r.dels)
	}
	return 0, 0
}

// DeletionPending reports whether key still waits to see objKey deleted.
func (e *Expectations) DeletionPending(key, objKey string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.m[key]
	if !ok {
		return false
	}
	_, pending := r.dels[objKey]
	return pending
}

// Delete forgets key (its controller object is gone).
func (e *Expectations) Delete(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}

// Len returns how many keys have expectations recorded.
func (e *Expectations) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.m)
}
