package raftnode

import (
	"fmt"
	"io"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"
)

// fsm adapts the store to raft.FSM. Only command entries reach it, so the
// store's revision is the index of the last command applied here.
type fsm struct {
	st      *store.Store
	applied *signal
}

func (f *fsm) Apply(l *raft.Log) interface{} {
	cmd := &storagev1.Command{}
	if err := proto.Unmarshal(l.Data, cmd); err != nil {
		// The log is corrupt: continuing would diverge from the other masters.
		panic(fmt.Sprintf("raftnode: undecodable command at index %d: %v", l.Index, err))
	}
	res := f.st.Apply(cmd, l.Index)
	f.applied.broadcast()
	return res
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{snap: f.st.Snapshot()}, nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	if err := f.st.Restore(rc); err != nil {
		return fmt.Errorf("restore store: %w", err)
	}
	f.applied.broadcast()
	return nil
}

type fsmSnapshot struct{ snap *store.Snapshot }

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.snap.Persist(sink); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {}
