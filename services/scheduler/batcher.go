package scheduler

import (
	"context"
	"sync"
	"time"
)

// batcher groups items into batches for one API call each: a batch is
// sent when it holds max items, or wait after its first item arrived, to
// one of workers goroutines. While every worker is busy the next batch
// keeps filling (up to max), so batches grow with the load.
type batcher[T any] struct {
	in      chan T
	max     int
	wait    time.Duration
	workers int
	flush   func(ctx context.Context, batch []T)
}

func newBatcher[T any](max int, wait time.Duration, workers int, flush func(context.Context, []T)) *batcher[T] {
	return &batcher[T]{in: make(chan T, 2*max), max: max, wait: wait, workers: workers, flush: flush}
}

// Add hands an item over; it blocks while the buffer is full and returns
// false if ctx ends first.
func (b *batcher[T]) Add(ctx context.Context, item T) bool {
	select {
	case b.in <- item:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run batches until ctx ends; items not yet flushed then are dropped.
func (b *batcher[T]) Run(ctx context.Context) {
	work := make(chan []T)
	var wg sync.WaitGroup
	for range b.workers {
		wg.Go(func() {
			for batch := range work {
				b.flush(ctx, batch)
			}
		})
	}
	defer wg.Wait()
	defer close(work)
	b.collect(ctx, work)
}

func (b *batcher[T]) collect(ctx context.Context, work chan<- []T) {
	var batch []T
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var timerC <-chan time.Time
	due := false
	for {
		var out chan<- []T
		if len(batch) > 0 && (due || len(batch) >= b.max) {
			out = work
		}
		var in <-chan T
		if len(batch) < b.max {
			in = b.in
		}
		select {
		case <-ctx.Done():
			return
		case it := <-in:
			batch = append(batch, it)
			if len(batch) == 1 {
				timer.Reset(b.wait)
				timerC, due = timer.C, false
			}
		case <-timerC:
			timerC, due = nil, true
		case out <- batch:
			batch, due, timerC = nil, false, nil
			timer.Stop()
		}
	}
}
