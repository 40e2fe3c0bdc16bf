package workqueue

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestAddAfterWaitsForTheClock(t *testing.T) {
	q, clock := newQueue(t, nil)
	q.AddAfter("late", 2*time.Second)
	q.AddAfter("early", time.Second)
	if q.Len() != 0 || q.Waiting() != 2 {
		t.Fatalf("Len %d Waiting %d, want 0 and 2", q.Len(), q.Waiting())
	}
	eventually(t, "the delay loop's timer", func() bool { return clock.Waiters() == 1 })
	clock.Step(999 * time.Millisecond)
	if q.Len() != 0 {
		t.Fatal("an item became ready before its time")
	}
	clock.Step(time.Millisecond)
	eventually(t, "early to be ready", func() bool { return q.Len() == 1 })
	if q.Waiting() != 1 {
		t.Fatalf("Waiting = %d, want 1", q.Waiting())
	}
	if got := mustGet(t, q); got != "early" {
		t.Fatalf("Get = %q, want early", got)
	}
	clock.Step(time.Second)
	eventually(t, "late to be ready", func() bool { return q.Len() == 1 })
	if got := mustGet(t, q); got != "late" {
		t.Fatalf("Get = %q, want late", got)
	}
}

func TestAddAfterKeepsTheEarliestTime(t *testing.T) {
	q, clock := newQueue(t, nil)
	q.AddAfter("a", 10*time.Second)
	q.AddAfter("a", time.Second)
	q.AddAfter("a", 5*time.Second)
	if q.Waiting() != 1 {
		t.Fatalf("Waiting = %d, want one entry per item", q.Waiting())
	}
	clock.Step(time.Second)
	eventually(t, "a to be ready after 1s", func() bool { return q.Len() == 1 })
	if q.Waiting() != 0 {
		t.Fatalf("Waiting = %d after release", q.Waiting())
	}
}

func TestAddAfterOfQueuedItemDoesNotDuplicate(t *testing.T) {
	q, clock := newQueue(t, nil)
	q.Add("a")
	q.AddAfter("a", time.Second)
	clock.Step(time.Second)
	eventually(t, "the waiting entry to be released", func() bool { return q.Waiting() == 0 })
	if q.Len() != 1 {
		t.Fatalf("Len = %d, want 1", q.Len())
	}
}

func TestNonPositiveDelayAddsAtOnce(t *testing.T) {
	q, _ := newQueue(t, nil)
	q.AddAfter("a", 0)
	q.AddAfter("b", -time.Second)
	if q.Len() != 2 {
		t.Fatalf("Len = %d, want 2", q.Len())
	}
}

// steppingClock, once armed, moves its fake clock forward by step just
// before the next timer it makes, as a test's Step can land between the
// delay loop reading the time and making its timer.
type steppingClock struct {
	*FakeClock
	step  time.Duration
	armed atomic.Bool
}

func (c *steppingClock) NewTimer(d time.Duration) Timer {
	if c.armed.CompareAndSwap(true, false) {
		c.FakeClock.Step(c.step)
	}
	return c.FakeClock.NewTimer(d)
}

// TestClockPassingWhileTheTimerIsMade: an item due when the clock moved
// past its time while the delay loop made its timer is released then, not
// one whole delay later (the clock never moves again here).
func TestClockPassingWhileTheTimerIsMade(t *testing.T) {
	clock := &steppingClock{FakeClock: NewFakeClock(time.Unix(0, 0)), step: time.Second}
	cfg := DefaultConfig()
	cfg.Clock = clock
	q, err := New[string](cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.ShutDown)
	q.AddAfter("later", time.Hour)
	eventually(t, "the delay loop's timer for later", func() bool { return clock.Waiters() == 1 })
	clock.armed.Store(true)
	q.AddAfter("due", time.Second)
	eventually(t, "due to be released", func() bool { return q.Len() == 1 })
}
