package api

import (
	"context"
	"io"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
	"github.com/gantryio/gantry/services/apiserver/store"
)

// Raft is what the handlers need of the local Raft replica.
type Raft interface {
	ID() string
	IsLeader() bool
	ReadyChanged() <-chan struct{}
	Leader() (id, addr string)
	Apply(ctx context.Context, cmd *storagev1.Command) ([]store.Result, error)
	ReadIndex(ctx context.Context) (uint64, error)
	WaitApplied(ctx context.Context, index uint64) error
	State() string
	Term() uint64
	CommitIndex() uint64
	AppliedIndex() uint64
	Servers() ([]raftnode.Server, error)
	AddVoter(ctx context.Context, id, addr string) error
	AddNonvoter(ctx context.Context, id, addr string) error
	RemoveServer(ctx context.Context, id string) error
	TransferLeadership(ctx context.Context, id string) error
	Snapshot() (index, term uint64, rc io.ReadCloser, err error)
}
