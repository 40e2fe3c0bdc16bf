package raftnode

import (
	"context"
	"errors"
	"fmt"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"
)

// enqueueTimeout bounds how long Apply waits for room in Raft's queue.
const enqueueTimeout = 5 * time.Second

// Apply proposes cmd and waits, bounded by ctx, until it is applied here.
// Errors wrap ErrNotLeader or ErrNotApplied when nothing was proposed and
// ErrOutcomeUnknown when it may or may not have committed.
func (n *Node) Apply(ctx context.Context, cmd *storagev1.Command) ([]store.Result, error) {
	if !n.ready.Load() {
		return nil, ErrNotLeader
	}
	b, err := proto.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("%w: marshal command: %v", ErrNotApplied, err)
	}
	if len(b) > n.cfg.MaxCommandBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), n.cfg.MaxCommandBytes)
	}
	f := n.r.Apply(b, enqueueTimeout)
	// ApplyFuture's own timeout only bounds enqueueing; a lost quorum can
	// block the future forever, so the caller's context bounds the wait.
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", ErrOutcomeUnknown, ctx.Err())
	}
	if err != nil {
		return nil, classify(err)
	}
	res, ok := f.Response().([]store.Result)
	if !ok {
		return nil, fmt.Errorf("%w: unexpected FSM response %T", ErrOutcomeUnknown, f.Response())
	}
	return res, nil
}

func classify(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %v", ErrNotLeader, err)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: %v", ErrNotApplied, err)
	default:
		return fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
	}
}
