package raftnode

import (
	"context"
	"fmt"
	"github.com/gantryio/gantry/internal/coalesce"
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
	return n.reads.Do(ctx)
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

// Leadership checks are coalesced: each round captures the commit index
// after all its readers arrived, then verifies leadership once.
const (
	leadershipCheckTimeout = 5 * time.Second
	maxReadWaiters         = 4096
)

func newReadRounds(n *Node) *coalesce.Rounds[uint64] {
	return coalesce.New(n.leadershipRound, leadershipCheckTimeout, maxReadWaiters)
}

// leadershipRound returns a read index once a quorum confirmed this
// master still leads.
func (n *Node) leadershipRound(ctx context.Context) (uint64, error) {
	idx := n.r.CommitIndex()
	f := n.r.VerifyLeader()
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrNotLeader, err)
		}
	case <-ctx.Done():
		return 0, fmt.Errorf("%w: leadership check: %v", ErrNotLeader, ctx.Err())
	}
	if !n.ready.Load() {
		return 0, ErrNotLeader
	}
	return n.lastCommand(idx), nil
}
