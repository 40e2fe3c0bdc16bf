package coalesce

import (
	"context"
	"sync"
	"time"
)

// Rounds runs fetch in rounds: a caller joins the next round to start, so
// the result it gets comes from a call that began after it arrived. One
// round runs at a time; callers that arrive during it wait for the next.
type Rounds[T any] struct {
	fetch func(context.Context) (T, error)
	// timeout bounds each round: it serves many callers, so no one
	// caller's context may end it.
	timeout time.Duration
	// maxWaiters bounds one round's callers; past it a caller fetches on
	// its own, so memory stays bounded by the calls in flight.
	maxWaiters int

	mu      sync.Mutex
	pending []chan result[T]
	running bool
}

type result[T any] struct {
	v   T
	err error
}

// New returns rounds of fetch, each bounded by timeout, of at most
// maxWaiters callers.
func New[T any](fetch func(context.Context) (T, error), timeout time.Duration, maxWaiters int) *Rounds[T] {
	return &Rounds[T]{fetch: fetch, timeout: timeout, maxWaiters: maxWaiters}
}

// Do returns the result of a round that started after the call, or ctx's
// error.
func (r *Rounds[T]) Do(ctx context.Context) (T, error) {
	ch := make(chan result[T], 1)
	r.mu.Lock()
	if len(r.pending) >= r.maxWaiters {
		r.mu.Unlock()
		return r.fetch(ctx)
	}
	r.pending = append(r.pending, ch)
	if !r.running {
		r.running = true
		go r.loop()
	}
	r.mu.Unlock()
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Pending returns how many callers wait for the next round.
func (r *Rounds[T]) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

func (r *Rounds[T]) loop() {
	for {
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		if len(batch) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		v, err := r.fetch(ctx)
		cancel()
		for _, ch := range batch {
			ch <- result[T]{v, err}
		}
	}
}
