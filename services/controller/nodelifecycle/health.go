package nodelifecycle

import (
	"sync"
	"time"
)

// sighting is what the controller last saw of a node's signs of life,
// and when (by its own clock).
type sighting struct {
	// at is when a sign of life last changed, or when this controller
	// started leading, whichever is later.
	at time.Time
	// renew and heartbeat are the node's own timestamps (its lease's
	// renew_time, its Ready condition's lastHeartbeatTime): compared with
	// their previous values only, never with our clock.
	renew, heartbeat time.Time
	// taintSeen is when this controller first saw each NoExecute taint
	// without a usable time_added (by key).
	taintSeen map[string]time.Time
}

// tracker holds the sightings of every node.
type tracker struct {
	mu sync.Mutex
	m  map[string]*sighting
}

func newTracker() *tracker { return &tracker{m: map[string]*sighting{}} }

// get returns node's sighting, creating it as seen at now.
func (t *tracker) get(node string, now time.Time) *sighting {
	s, ok := t.m[node]
	if !ok {
		s = &sighting{at: now}
		t.m[node] = s
	}
	return s
}

// lastSeen returns when node last showed a sign of life (now for a node
// not seen before: every node starts with a full grace period).
func (t *tracker) lastSeen(node string, now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.get(node, now).at
}

// renewed records a lease renew_time; it reports whether it changed (a
// sign of life, seen at now). The first value seen is not one: it may be
// a lease written long ago.
func (t *tracker) renewed(node string, renew, now time.Time) bool {
	return t.observe(node, now, func(s *sighting) *time.Time { return &s.renew }, renew)
}

// heartbeat records a Ready condition's lastHeartbeatTime, as renewed.
func (t *tracker) heartbeat(node string, hb, now time.Time) bool {
	return t.observe(node, now, func(s *sighting) *time.Time { return &s.heartbeat }, hb)
}

func (t *tracker) observe(node string, now time.Time, field func(*sighting) *time.Time, v time.Time) bool {
	if v.IsZero() {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(node, now)
	f := field(s)
	if f.Equal(v) {
		return false
	}
	first := f.IsZero()
	*f = v
	if first {
		return false
	}
	s.at = now
	return true
}

// restart gives every node a fresh grace period from now (a controller
// that starts leading does not trust what it saw as a standby, nor what
// the previous leader saw).
func (t *tracker) restart(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.m {
		s.at = now
	}
}

// taintStart returns when a taint counts as added: its time_added, or,
// when that is missing or later than now (another clock), when this
// controller first saw it.
func (t *tracker) taintStart(node, key string, added, now time.Time) time.Time {
	if !added.IsZero() && !added.After(now) {
		return added
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(node, now)
	if s.taintSeen == nil {
		s.taintSeen = map[string]time.Time{}
	}
	if seen, ok := s.taintSeen[key]; ok {
		return seen
	}
	s.taintSeen[key] = now
	return now
}

// forget drops a deleted node.
func (t *tracker) forget(node string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, node)
}
