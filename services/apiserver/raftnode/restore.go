package raftnode

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"time"

	"github.com/gantryio/gantry/internal/logging"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Layout of a member's data directory.
const (
	raftDBFile      = "raft.db"
	snapshotsDir    = "snapshots"
	retainSnapshots = 2
)

// restoredTerm is the term of a restored cluster's first snapshot. The
// cluster is new, so its terms start over; its first election is term 2.
const restoredTerm = 1

// WriteRestoredState lays out the empty dataDir as member id of a new
// cluster whose whole history is one snapshot at index, holding what
// persist writes, with servers (id -> Raft address) as its voters.
//
// It is hashicorp/raft's own recipe (BootstrapCluster, then what
// RecoverCluster does): bootstrap sets the current term and writes the
// configuration entry at index 1; the snapshot, created through the
// FileSnapshotStore with the same configuration, supersedes it; the
// entry is then deleted so the log holds nothing below the snapshot.
// Raft then restores the snapshot into the FSM on start, and since the
// state exists, Node.New does not bootstrap again even when given the
// same initial cluster. Every member of the new cluster must get the
// same index, servers and data.
func WriteRestoredState(id, dataDir string, index uint64, servers map[string]string, persist func(io.Writer) error, logger *zap.Logger) (err error) {
	if index == 0 {
		return errors.New("restore: the snapshot index must be at least 1")
	}
	addr, ok := servers[id]
	if !ok {
		return fmt.Errorf("restore: the cluster does not include this member %q", id)
	}
	hl := logging.HCLog(logger.Named("raft"), "hashicorp")
	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path:                    filepath.Join(dataDir, raftDBFile),
		BoltOptions:             &bbolt.Options{Timeout: time.Second},
		MsgpackUseNewTimeFormat: true,
	})
	if err != nil {
		return fmt.Errorf("create raft log store: %w", err)
	}
	defer func() {
		if cerr := bolt.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close raft log store: %w", cerr)
		}
	}()
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(dataDir, snapshotsDir), retainSnapshots, hl)
	if err != nil {
		return fmt.Errorf("create snapshot store: %w", err)
	}
	// The transport only encodes peer addresses into the snapshot's
	// metadata; nothing is sent.
	_, trans := raft.NewInmemTransport(raft.ServerAddress(addr))
	defer trans.Close()
	rc := raft.DefaultConfig()
	rc.LocalID, rc.Logger = raft.ServerID(id), hl
	conf := configuration(servers)
	if err := raft.BootstrapCluster(rc, bolt, bolt, snaps, trans, conf); err != nil {
		return fmt.Errorf("bootstrap the new cluster: %w", err)
	}
	sink, err := snaps.Create(raft.SnapshotVersionMax, index, restoredTerm, conf, index, trans)
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	if err := persist(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("finish snapshot: %w", err)
	}
	if err := bolt.DeleteRange(1, 1); err != nil {
		return fmt.Errorf("drop the bootstrap entry: %w", err)
	}
	return nil
}

// configuration lists servers as voters, in id order so that every
// member's snapshot says the same.
func configuration(servers map[string]string) raft.Configuration {
	ids := make([]string, 0, len(servers))
	for id := range servers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var conf raft.Configuration
	for _, id := range ids {
		conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(servers[id]), Suffrage: raft.Voter})
	}
	return conf
}
