package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestBatcherGroupsAndFlushes(t *testing.T) {
	var mu sync.Mutex
	var batches [][]int
	release := make(chan struct{})
	b := newBatcher(3, time.Hour, 1, func(_ context.Context, batch []int) {
		mu.Lock()
		batches = append(batches, batch)
		mu.Unlock()
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	// With an hour's wait only a full batch is sent; the single worker is
	// then busy, so the next 3 fill a batch and the 7th waits.
	for i := range 7 {
		if !b.Add(ctx, i) {
			t.Fatal("Add failed")
		}
	}
	got := func() [][]int {
		mu.Lock()
		defer mu.Unlock()
		return append([][]int(nil), batches...)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(got()) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no batch flushed")
		}
		time.Sleep(time.Millisecond)
	}
	release <- struct{}{}
	for len(got()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("second batch not flushed")
		}
		time.Sleep(time.Millisecond)
	}
	if bs := got(); len(bs[0]) != 3 || len(bs[1]) != 3 || bs[0][0] != 0 || bs[1][0] != 3 {
		t.Fatalf("batches %v, want [0 1 2] [3 4 5]", bs)
	}
	close(release)
	cancel()
	<-done
}

func TestBatcherWaitFlushesPartialBatch(t *testing.T) {
	got := make(chan []int, 1)
	b := newBatcher(100, time.Millisecond, 1, func(_ context.Context, batch []int) { got <- batch })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Run(ctx)
	b.Add(ctx, 1)
	b.Add(ctx, 2)
	select {
	case batch := <-got:
		if len(batch) == 0 || batch[0] != 1 {
			t.Fatalf("batch %v", batch)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a partial batch was not flushed after the wait")
	}
}
