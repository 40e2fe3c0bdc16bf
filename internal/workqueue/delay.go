package workqueue

import (
	"container/heap"
	"time"
)

// AddAfter adds item once d has passed (at once when d <= 0). An item
// already waiting keeps the earlier of its two times.
func (q *Queue[T]) AddAfter(item T, d time.Duration) {
	if d <= 0 {
		q.Add(item)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return
	}
	at := q.cfg.Clock.Now().Add(d)
	if !q.waiting.push(item, at) {
		return
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// delayLoop moves waiting items whose time has come into the queue.
func (q *Queue[T]) delayLoop() {
	for {
		next, ok := q.releaseDue()
		if !ok {
			return
		}
		var timer Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = q.cfg.Clock.NewTimer(next.Sub(q.cfg.Clock.Now()))
			fire = timer.C()
			// The clock may have passed next between reading it and making
			// the timer (a fake clock stepped by a test does, at once), which
			// would then wait a whole delay too long: look again.
			if !q.cfg.Clock.Now().Before(next) {
				timer.Stop()
				continue
			}
		}
		select {
		case <-q.stopped:
		case <-q.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// releaseDue queues the due items and returns the time of the next one
// (zero when none waits); ok is false once the queue is shut down.
func (q *Queue[T]) releaseDue() (next time.Time, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return time.Time{}, false
	}
	now := q.cfg.Clock.Now()
	for q.waiting.Len() > 0 {
		e := q.waiting.entries[0]
		if e.at.After(now) {
			return e.at, true
		}
		heap.Pop(q.waiting)
		delete(q.waiting.index, e.item)
		q.addLocked(e.item)
	}
	return time.Time{}, true
}

type waitEntry[T comparable] struct {
	item T
	at   time.Time
	pos  int
}

// waitHeap orders waiting items by time and holds each item once.
type waitHeap[T comparable] struct {
	entries []*waitEntry[T]
	index   map[T]*waitEntry[T]
}

func newWaitHeap[T comparable]() *waitHeap[T] {
	return &waitHeap[T]{index: map[T]*waitEntry[T]{}}
}

// push adds item at time at, or moves an existing entry earlier; it
// reports whether the heap changed.
func (h *waitHeap[T]) push(item T, at time.Time) bool {
	if e, ok := h.index[item]; ok {
		if !at.Before(e.at) {
			return false
		}
		e.at = at
		heap.Fix(h, e.pos)
		return true
	}
	e := &waitEntry[T]{item: item, at: at}
	h.index[item] = e
	heap.Push(h, e)
	return true
}

func (h *waitHeap[T]) Len() int           { return len(h.entries) }
func (h *waitHeap[T]) Less(i, j int) bool { return h.entries[i].at.Before(h.entries[j].at) }
func (h *waitHeap[T]) Swap(i, j int) {
	h.entries[i], h.entries[j] = h.entries[j], h.entries[i]
	h.entries[i].pos, h.entries[j].pos = i, j
}
func (h *waitHeap[T]) Push(x any) {
	e := x.(*waitEntry[T])
	e.pos = len(h.entries)
	h.entries = append(h.entries, e)
}
func (h *waitHeap[T]) Pop() any {
	n := len(h.entries)
	e := h.entries[n-1]
	h.entries[n-1] = nil
	h.entries = h.entries[:n-1]
	return e
}
