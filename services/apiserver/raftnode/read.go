package raftnode

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// ReadIndex returns an index such that a read served after this master's
// store reaches it (WaitApplied) is linearizable. Only a ready leader
// answers. Concurrent callers share one leadership check (a quorum round
// trip), as etcd does.
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	if !n.ready.Load() {
		return 0, ErrNotLeader
	}
	return n.reads.wait(ctx)
}

// WaitApplied waits until this master's store has applied index, bounded
// by ctx.
func (n *Node) WaitApplied(ctx context.Context, index uint64) error {
	for {
		ch := n.fsm.applied.wait()
		if n.st.Revision() >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: applied %d, waiting for %d: %v", ErrBehind, n.st.Revision(), index, ctx.Err())
		}
	}
}

// lastCommand returns the index of the newest command entry at or below
// index. Leader no-ops and barriers never reach the store, so waiting for
// their index would never end.
func (n *Node) lastCommand(index uint64) uint64 {
	var l raft.Log
	for i := index; i > 0 && index-i < 64; i-- {
		if err := n.logs.GetLog(i, &l); err != nil {
			return i
		}
		if l.Type == raft.LogCommand {
			return i
		}
	}
	// Only non-command entries near the top: the store has applied every
	// command below them already when its revision reaches a command
	// before them, which 64 entries of no-ops cannot hide in practice.
	return n.st.Revision()
}

// readBatcher coalesces leadership checks: each round captures the
// commit index after all its waiters arrived, then verifies leadership once.
type readBatcher struct {
	n       *Node
	mu      sync.Mutex
	pending []chan readResult
	running bool
}

type readResult struct {
	index uint64
	err   error
}

func newReadBatcher(n *Node) *readBatcher { return &readBatcher{n: n} }

func (b *readBatcher) wait(ctx context.Context) (uint64, error) {
	ch := make(chan readResult, 1)
	b.mu.Lock()
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

func (b *readBatcher) loop() {
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
		r := b.round()
		for _, ch := range batch {
			ch <- r
		}
	}
}

func (b *readBatcher) round() readResult {
	idx := b.n.r.CommitIndex()
	f := b.n.r.VerifyLeader()
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err != nil {
			return readResult{err: fmt.Errorf("%w: %v", ErrNotLeader, err)}
		}
	case <-time.After(5 * time.Second):
		return readResult{err: fmt.Errorf("%w: leadership check timed out", ErrNotLeader)}
	}
	if !b.n.ready.Load() {
		return readResult{err: ErrNotLeader}
	}
	return readResult{index: b.n.lastCommand(idx)}
}
