package raftnode

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// IsLeader reports whether this master is a leader ready to serve.
func (n *Node) IsLeader() bool { return n.ready.Load() }

// ReadyChanged returns a channel closed when leader readiness next changes.
func (n *Node) ReadyChanged() <-chan struct{} { return n.readyC.wait() }

// Leader returns the current leader's id and Raft address, if known.
func (n *Node) Leader() (id, addr string) {
	a, i := n.r.LeaderWithID()
	return string(i), string(a)
}

// ID returns this member's id.
func (n *Node) ID() string { return n.cfg.ID }

// State returns leader, follower, candidate or shutdown.
func (n *Node) State() string { return n.r.State().String() }

// Term returns the current term.
func (n *Node) Term() uint64 {
	t, _ := strconv.ParseUint(n.r.Stats()["term"], 10, 64)
	return t
}

// CommitIndex returns the latest committed index known here.
func (n *Node) CommitIndex() uint64 { return n.r.CommitIndex() }

// AppliedIndex returns the latest index handed to the FSM here.
func (n *Node) AppliedIndex() uint64 { return n.r.AppliedIndex() }

// Server is one member of the Raft configuration.
type Server struct {
	ID, Address string
	Voter       bool
}

// Servers returns the current Raft configuration.
func (n *Node) Servers() ([]Server, error) {
	f := n.r.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("read raft configuration: %w", err)
	}
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{ID: string(s.ID), Address: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	return out, nil
}

// AddVoter adds (or re-addresses) a voting member. Leader only.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	if !n.ready.Load() {
		return ErrNotLeader
	}
	return wait(ctx, n.r.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeout(ctx)))
}

// AddNonvoter adds (or re-addresses) a member that receives the log but
// does not vote. A voter stays a voter. Leader only.
func (n *Node) AddNonvoter(ctx context.Context, id, addr string) error {
	if !n.ready.Load() {
		return ErrNotLeader
	}
	return wait(ctx, n.r.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeout(ctx)))
}

// RemoveServer removes a member. Leader only.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	if !n.ready.Load() {
		return ErrNotLeader
	}
	return wait(ctx, n.r.RemoveServer(raft.ServerID(id), 0, timeout(ctx)))
}

// TransferLeadership hands leadership to id, or to the most up-to-date
// follower when id is empty. Leader only.
func (n *Node) TransferLeadership(ctx context.Context, id string) error {
	if n.r.State() != raft.Leader {
		return ErrNotLeader
	}
	if id == "" {
		return wait(ctx, n.r.LeadershipTransfer())
	}
	for _, s := range n.r.GetConfiguration().Configuration().Servers {
		if string(s.ID) == id {
			return wait(ctx, n.r.LeadershipTransferToServer(s.ID, s.Address))
		}
	}
	return fmt.Errorf("%w: %q", ErrNoMember, id)
}

// Snapshot takes a fresh snapshot and opens it for streaming as a backup.
func (n *Node) Snapshot() (index, term uint64, rc io.ReadCloser, err error) {
	f := n.r.Snapshot()
	if err := f.Error(); err != nil {
		return 0, 0, nil, fmt.Errorf("take snapshot: %w", err)
	}
	meta, rc, err := f.Open()
	if err != nil {
		return 0, 0, nil, fmt.Errorf("open snapshot: %w", err)
	}
	return meta.Index, meta.Term, rc, nil
}

func timeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return 10 * time.Second
}

func wait(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err == raft.ErrNotLeader {
			return fmt.Errorf("%w: %v", ErrNotLeader, err)
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
