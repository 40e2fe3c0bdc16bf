package workqueue

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newQueue(t *testing.T, mutate func(*Config)) (*Queue[string], *FakeClock) {
	t.Helper()
	clock := NewFakeClock(time.Unix(1000, 0))
	cfg := DefaultConfig()
	cfg.Clock = clock
	if mutate != nil {
		mutate(&cfg)
	}
	q, err := New[string](cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.ShutDown)
	return q, clock
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustGet(t *testing.T, q *Queue[string]) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		item, ok := q.Get()
		if !ok {
			item = "<shutdown>"
		}
		got <- item
	}()
	select {
	case item := <-got:
		return item
	case <-time.After(5 * time.Second):
		t.Fatal("Get did not return")
		return ""
	}
}

func TestDedupAndOrder(t *testing.T) {
	q, _ := newQueue(t, nil)
	for _, k := range []string{"a", "b", "a", "c", "b"} {
		q.Add(k)
	}
	if q.Len() != 3 {
		t.Fatalf("Len = %d, want 3", q.Len())
	}
	for _, want := range []string{"a", "b", "c"} {
		if got := mustGet(t, q); got != want {
			t.Fatalf("Get = %q, want %q", got, want)
		}
	}
	if q.Adds() != 5 {
		t.Fatalf("Adds = %d, want 5", q.Adds())
	}
}

func TestAddWhileProcessingRequeuesOnDone(t *testing.T) {
	q, _ := newQueue(t, nil)
	q.Add("a")
	item := mustGet(t, q)
	q.Add("a")
	q.Add("a")
	if q.Len() != 0 {
		t.Fatalf("an item being processed was queued again (Len %d)", q.Len())
	}
	q.Done(item)
	if q.Len() != 1 {
		t.Fatalf("Len after Done = %d, want 1", q.Len())
	}
	if got := mustGet(t, q); got != "a" {
		t.Fatalf("Get = %q", got)
	}
	q.Done("a")
	if q.Len() != 0 {
		t.Fatalf("Len = %d after the second Done, want 0", q.Len())
	}
}

func TestNeverTwoWorkersOnOneItem(t *testing.T) {
	q, _ := newQueue(t, nil)
	var busy sync.Map
	var overlaps, handled atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				item, ok := q.Get()
				if !ok {
					return
				}
				if _, loaded := busy.LoadOrStore(item, true); loaded {
					overlaps.Add(1)
				}
				handled.Add(1)
				busy.Delete(item)
				q.Done(item)
			}
		}()
	}
	keys := []string{"a", "b", "c", "d"}
	for i := range 4000 {
		q.Add(keys[i%len(keys)])
	}
	eventually(t, "the queue to drain", func() bool { return q.Len() == 0 && handled.Load() > 0 })
	q.ShutDown()
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Fatalf("%d times two workers held the same item", overlaps.Load())
	}
}

func TestShutDownReleasesGetAndIgnoresAdds(t *testing.T) {
	q, _ := newQueue(t, nil)
	done := make(chan bool)
	go func() {
		_, ok := q.Get()
		done <- ok
	}()
	q.ShutDown()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("Get returned ok after ShutDown")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Get still blocked after ShutDown")
	}
	q.Add("a")
	q.AddAfter("b", time.Second)
	if q.Len() != 0 || q.Waiting() != 0 || !q.ShuttingDown() {
		t.Fatalf("shut-down queue took items: Len %d Waiting %d", q.Len(), q.Waiting())
	}
	q.ShutDown() // twice is harmless
}

func TestMaxLenBlocksAdd(t *testing.T) {
	q, _ := newQueue(t, func(c *Config) { c.MaxLen = 2 })
	q.Add("a")
	q.Add("b")
	q.Add("a") // already queued: returns at once even when full
	added := make(chan struct{})
	go func() {
		q.Add("c")
		close(added)
	}()
	select {
	case <-added:
		t.Fatal("Add did not block on a full queue")
	case <-time.After(50 * time.Millisecond):
	}
	if got := mustGet(t, q); got != "a" {
		t.Fatalf("Get = %q", got)
	}
	select {
	case <-added:
	case <-time.After(5 * time.Second):
		t.Fatal("Add still blocked after a Get made room")
	}
	if q.Len() != 2 {
		t.Fatalf("Len = %d, want 2", q.Len())
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{
		{BaseDelay: 0, MaxDelay: time.Second},
		{BaseDelay: time.Second, MaxDelay: time.Millisecond},
		{BaseDelay: time.Millisecond, MaxDelay: time.Second, MaxLen: -1},
	} {
		if _, err := New[string](c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}
