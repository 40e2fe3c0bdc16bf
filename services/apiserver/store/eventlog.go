package store

import (
	"fmt"
	"sort"
	"sync"
)

// EventLog is a bounded ring of the most recent events. One writer (Apply)
// appends; any number of cursors read by sequence number and wait on a
// channel that is closed at every append, so the writer never blocks.
type EventLog struct {
	mu sync.RWMutex
	// ring holds events with sequence numbers [first, next).
	ring  []*Event
	first uint64
	next  uint64
	// floor is the revision below which history is gone: every event with
	// Rev > floor is in the ring.
	floor uint64
	// lastRev is the revision of the newest applied command.
	lastRev uint64
	notify  chan struct{}
	// epoch changes on reset; cursors from an older epoch are expired.
	epoch uint64
}

// NewEventLog returns an empty log holding at most capacity events.
func NewEventLog(capacity int) *EventLog {
	if capacity < 16 {
		capacity = 16
	}
	return &EventLog{ring: make([]*Event, capacity), notify: make(chan struct{})}
}

// Cursor is a position in the log.
type Cursor struct {
	Seq   uint64
	Epoch uint64
}

// append adds the events of one command at rev and wakes all readers.
func (l *EventLog) append(rev uint64, evs []*Event) {
	l.mu.Lock()
	for _, e := range evs {
		if l.next-l.first == uint64(len(l.ring)) {
			dropped := l.ring[l.first%uint64(len(l.ring))]
			l.ring[l.first%uint64(len(l.ring))] = nil
			l.first++
			// The dropped event's command may still have events in the ring;
			// resuming exactly at its revision is safe, earlier is not.
			l.floor = dropped.Rev
		}
		l.ring[l.next%uint64(len(l.ring))] = e
		l.next++
	}
	if rev > l.lastRev {
		l.lastRev = rev
	}
	if len(evs) == 0 {
		// Nothing to read: keep readers asleep.
		l.mu.Unlock()
		return
	}
	ch := l.notify
	l.notify = make(chan struct{})
	l.mu.Unlock()
	close(ch)
}

// reset empties the log after a restore at rev and expires every cursor.
func (l *EventLog) reset(rev uint64) {
	l.mu.Lock()
	for i := range l.ring {
		l.ring[i] = nil
	}
	l.first, l.next = 0, 0
	l.floor, l.lastRev = rev, rev
	l.epoch++
	ch := l.notify
	l.notify = make(chan struct{})
	l.mu.Unlock()
	close(ch)
}

// CursorAfter returns the position of the first event with Rev > rev, or
// ErrCompacted naming the oldest revision it can serve.
func (l *EventLog) CursorAfter(rev uint64) (Cursor, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if rev < l.floor {
		return Cursor{}, fmt.Errorf("%w: %d is older than the oldest available %d", ErrCompacted, rev, l.floor)
	}
	n := int(l.next - l.first)
	i := sort.Search(n, func(i int) bool { return l.at(l.first+uint64(i)).Rev > rev })
	return Cursor{Seq: l.first + uint64(i), Epoch: l.epoch}, nil
}

func (l *EventLog) at(seq uint64) *Event { return l.ring[seq%uint64(len(l.ring))] }

// Read appends to dst up to max events from c onwards, ending on a
// command boundary when it can, and returns the cursor after them. When
// there is nothing new it returns a channel closed at the next append.
// It returns ErrCompacted when c fell off the ring or the log was reset.
// A max below 1 counts as 1: a response holds at least one whole command.
func (l *EventLog) Read(c Cursor, max int, dst []*Event) ([]*Event, Cursor, <-chan struct{}, error) {
	if max < 1 {
		max = 1
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if c.Epoch != l.epoch || c.Seq < l.first {
		return dst, c, nil, fmt.Errorf("%w: the watch fell behind the event log (oldest available %d)", ErrCompacted, l.floor)
	}
	if c.Seq >= l.next {
		return dst, c, l.notify, nil
	}
	end := l.next
	if end-c.Seq > uint64(max) {
		end = c.Seq + uint64(max)
		// Extend to the end of the command so a response never splits one.
		for end < l.next && !l.at(end-1).Last {
			end++
		}
	}
	for s := c.Seq; s < end; s++ {
		dst = append(dst, l.at(s))
	}
	return dst, Cursor{Seq: end, Epoch: c.Epoch}, nil, nil
}

// LastRev returns the revision of the newest applied command.
func (l *EventLog) LastRev() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.lastRev
}

// Floor returns the oldest revision a watch can start after.
func (l *EventLog) Floor() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.floor
}

// IdleRev returns the newest revision when c has read everything, so a
// bookmark can promise that nothing at or below it is still unsent.
func (l *EventLog) IdleRev(c Cursor) (uint64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if c.Epoch != l.epoch || c.Seq != l.next {
		return 0, false
	}
	return l.lastRev, true
}
