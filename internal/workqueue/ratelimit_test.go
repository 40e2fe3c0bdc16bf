package workqueue

import (
	"testing"
	"time"
)

func TestBackoffDoublesAndCaps(t *testing.T) {
	q, _ := newQueue(t, func(c *Config) { c.BaseDelay, c.MaxDelay = 10*time.Millisecond, 70*time.Millisecond })
	want := []time.Duration{10, 20, 40, 70, 70, 70}
	for i, w := range want {
		if got := q.backoff(i); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %s, want %s", i, got, w*time.Millisecond)
		}
	}
	if got := q.backoff(1000); got != 70*time.Millisecond {
		t.Errorf("backoff(1000) = %s", got)
	}
}

func TestAddRateLimitedAndForget(t *testing.T) {
	q, clock := newQueue(t, func(c *Config) { c.BaseDelay, c.MaxDelay = time.Second, time.Minute })
	q.AddRateLimited("a") // 1 s
	eventually(t, "the timer", func() bool { return clock.Waiters() == 1 })
	clock.Step(time.Second)
	eventually(t, "the first retry", func() bool { return q.Len() == 1 })
	q.Done(mustGet(t, q))

	q.AddRateLimited("a") // 2 s
	if q.NumRequeues("a") != 2 {
		t.Fatalf("NumRequeues = %d, want 2", q.NumRequeues("a"))
	}
	eventually(t, "the timer", func() bool { return clock.Waiters() == 1 })
	clock.Step(1999 * time.Millisecond)
	if q.Len() != 0 {
		t.Fatal("the second retry came before 2 s")
	}
	clock.Step(time.Millisecond)
	eventually(t, "the second retry", func() bool { return q.Len() == 1 })
	q.Done(mustGet(t, q))

	q.Forget("a")
	if q.NumRequeues("a") != 0 {
		t.Fatalf("NumRequeues after Forget = %d", q.NumRequeues("a"))
	}
	q.AddRateLimited("a") // back to 1 s
	eventually(t, "the timer", func() bool { return clock.Waiters() == 1 })
	clock.Step(time.Second)
	eventually(t, "the retry after Forget", func() bool { return q.Len() == 1 })
	if q.Retries() != 3 {
		t.Fatalf("Retries = %d, want 3", q.Retries())
	}
}

func TestRealClockDelay(t *testing.T) {
	cfg := DefaultConfig()
	q, err := New[int](cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer q.ShutDown()
	start := time.Now()
	q.AddAfter(7, 20*time.Millisecond)
	item, ok := q.Get()
	if !ok || item != 7 {
		t.Fatalf("Get = %v, %v", item, ok)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("item ready after %s, before its 20ms delay", el)
	}
}
