package gc

import "sync"

// absentSet remembers owner uids known to be gone. It is bounded: when
// full it starts over (a forgotten uid costs one live read).
type absentSet struct {
	mu   sync.Mutex
	max  int
	uids map[string]struct{}
}

func newAbsentSet(max int) *absentSet { return &absentSet{max: max, uids: map[string]struct{}{}} }

func (a *absentSet) add(uid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.uids) >= a.max {
		a.uids = map[string]struct{}{}
	}
	a.uids[uid] = struct{}{}
}

func (a *absentSet) has(uid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.uids[uid]
	return ok
}
