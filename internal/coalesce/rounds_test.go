package coalesce

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// gatedFetch returns round numbers 1, 2, ...; each call blocks until the
// test releases it, so the test decides what is in flight.
type gatedFetch struct {
	calls   atomic.Uint64
	started chan uint64
	release chan error
}

func newGatedFetch() *gatedFetch {
	return &gatedFetch{started: make(chan uint64, 16), release: make(chan error)}
}

func (g *gatedFetch) fetch(ctx context.Context) (uint64, error) {
	n := g.calls.Add(1)
	g.started <- n
	select {
	case err := <-g.release:
		return n, err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

type got struct {
	index uint64
	err   error
}

func waitAsync(b *Rounds[uint64], ctx context.Context) <-chan got {
	out := make(chan got, 1)
	go func() {
		idx, err := b.Do(ctx)
		out <- got{idx, err}
	}()
	return out
}

func TestRoundsSharesRounds(t *testing.T) {
	g := newGatedFetch()
	b := New(g.fetch, 5*time.Second, 4096)
	ctx := t.Context()

	first := waitAsync(b, ctx)
	if n := <-g.started; n != 1 {
		t.Fatalf("first round is call %d", n)
	}
	// These arrive while round 1 is in flight: they must not get its
	// index (it may predate writes they saw), but share round 2.
	var later []<-chan got
	for i := 0; i < 50; i++ {
		later = append(later, waitAsync(b, ctx))
	}
	waitPending(t, b, 50)
	g.release <- nil
	if r := <-first; r.err != nil || r.index != 1 {
		t.Fatalf("first read got %+v, want round 1", r)
	}
	if n := <-g.started; n != 2 {
		t.Fatalf("second round is call %d", n)
	}
	g.release <- nil
	for i, ch := range later {
		if r := <-ch; r.err != nil || r.index != 2 {
			t.Fatalf("read %d that arrived during round 1 got %+v, want round 2", i, r)
		}
	}
	if c := g.calls.Load(); c != 2 {
		t.Fatalf("%d calls to the leader for 51 reads, want 2", c)
	}
}

func TestRoundsErrorsAndCancel(t *testing.T) {
	g := newGatedFetch()
	b := New(g.fetch, 5*time.Second, 4096)
	ctx, cancel := context.WithCancel(t.Context())
	gone := waitAsync(b, ctx)
	stays := waitAsync(b, t.Context())
	<-g.started
	cancel()
	if r := <-gone; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled read got %+v, want context.Canceled", r)
	}
	boom := errors.New("no leader")
	g.release <- boom
	// The second read joined round 1 or, if it arrived after that round
	// began, round 2: either way it gets the leader's error.
	var r got
	select {
	case r = <-stays:
	case <-g.started:
		g.release <- boom
		r = <-stays
	}
	if !errors.Is(r.err, boom) {
		t.Fatalf("read got %+v, want the leader's error", r)
	}
}

// waitPending polls until n reads wait for the next round.
func waitPending(t *testing.T, b *Rounds[uint64], n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := b.Pending()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reads pending, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRoundsAreBounded: past maxWaiters a caller fetches on its own
// instead of joining the round, so a round's memory is bounded.
func TestRoundsAreBounded(t *testing.T) {
	g := newGatedFetch()
	b := New(g.fetch, 5*time.Second, 1)
	first := waitAsync(b, t.Context())
	<-g.started // round 1 runs for first
	second := waitAsync(b, t.Context())
	waitPending(t, b, 1) // second waits for round 2
	third := waitAsync(b, t.Context())
	if n := <-g.started; n != 2 {
		t.Fatalf("the caller past the bound made call %d, want its own call 2", n)
	}
	for range 2 {
		g.release <- nil
	}
	<-g.started // round 2, for second
	g.release <- nil
	for i, ch := range []<-chan got{first, second, third} {
		if r := <-ch; r.err != nil {
			t.Fatalf("caller %d: %v", i, r.err)
		}
	}
	if c := g.calls.Load(); c != 3 {
		t.Fatalf("%d calls, want 3", c)
	}
}
