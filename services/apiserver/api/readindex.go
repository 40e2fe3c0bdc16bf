package api

import (
	"context"
	"sync"
)

// readIndexBatcher lets concurrent linearizable reads on a follower share
// one ReadIndex call to the leader, as the leader's own reads share one
// leadership check (raftnode's readBatcher): without it every read on a
// follower paid a gRPC round trip to the leader, on both masters' CPUs.
//
// A round's call starts only after every read in it arrived, so the index
// it returns covers every write those reads could have seen acknowledged;
// reads that arrive while a call is in flight wait for the next round.
type readIndexBatcher struct {
	fetch func(context.Context) (uint64, error)

	mu      sync.Mutex
	pending []chan readIndexResult
	running bool
}

type readIndexResult struct {
	index uint64
	err   error
}

// maxReadIndexWaiters bounds one round's waiters; past it a read gets
// its own round (it still shares with later arrivals), so memory stays
// bounded by the number of reads in flight, which gRPC bounds.
const maxReadIndexWaiters = 4096

func newReadIndexBatcher(fetch func(context.Context) (uint64, error)) *readIndexBatcher {
	return &readIndexBatcher{fetch: fetch}
}

// wait returns an index from a round that started after the call, or
// ctx's error.
func (b *readIndexBatcher) wait(ctx context.Context) (uint64, error) {
	ch := make(chan readIndexResult, 1)
	b.mu.Lock()
	if len(b.pending) >= maxReadIndexWaiters {
		b.mu.Unlock()
		return b.fetch(ctx)
	}
	b.pending = append(b.pending, ch)
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
	select {
	case r := <-ch:
		return r.index, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (b *readIndexBatcher) loop() {
	for {
		b.mu.Lock()
		batch := b.pending
		b.pending = nil
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		// The round serves many callers, so no one caller's context bounds
		// it; readWait does, as it bounds each of them.
		ctx, cancel := context.WithTimeout(context.Background(), readWait)
		idx, err := b.fetch(ctx)
		cancel()
		for _, ch := range batch {
			ch <- readIndexResult{index: idx, err: err}
		}
	}
}
