package raftnode

import (
	"errors"
	"fmt"
	"time"
)

// Config configures a Raft replica.
type Config struct {
	// ID is the member's permanent id (never its address).
	ID string
	// DataDir holds raft.db (log and stable store) and snapshots/.
	DataDir string
	// RaftAddr is the peer address to listen on and advertise.
	RaftAddr string
	// InitialCluster maps member id to Raft address for bootstrapping a new
	// cluster. Empty means join an existing one (someone must AddVoter us).
	InitialCluster map[string]string

	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// CommitTimeout is the longest a follower waits, when no new entries
	// come, to learn that earlier ones committed; it bounds how stale a
	// follower's store (reads, watch events) is behind the leader's.
	CommitTimeout time.Duration
	// SnapshotThreshold is how many log entries trigger a snapshot;
	// TrailingLogs how many stay after one, for slow followers.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// MaxAppendEntries bounds the entries the leader appends and sends to a
	// follower in one go. hashicorp/raft's 64 capped group commit at 256
	// concurrent writers (+16-19 % writes/s at 256 clients with 256 here);
	// the proposal queue is as long (BatchApplyCh), so writers hand over
	// proposals without waiting for the leader loop.
	MaxAppendEntries int
	// MaxCommandBytes bounds one proposed command.
	MaxCommandBytes int
	// BarrierTimeout bounds the new leader's wait for its FSM to catch up.
	BarrierTimeout time.Duration
	// NoFreelistSync leaves bolt's free-page list out of every commit and
	// rebuilds it when the log store opens, as etcd does: each Raft append
	// (one commit on the leader, one on each follower, serially) writes
	// fewer pages, and a log store of TrailingLogs entries opens in
	// milliseconds anyway.
	NoFreelistSync bool
	// LogStore is where the Raft log lives: LogStoreBolt (raft.db, the
	// default) or LogStoreWAL (wal/, one fsync per append instead of two).
	// A data directory keeps the backend it was created with.
	LogStore string
	// WALSegmentBytes is the size of the WAL's segment files (0: raft-wal's
	// default, 64 MiB). Log truncation after a snapshot deletes whole
	// segments only; entries of a kept segment stay readable, and Raft
	// replicates them rather than sending a snapshot.
	WALSegmentBytes int
}

// DefaultConfig returns timeouts tuned for masters on one LAN: followers
// notice a dead leader after 0.5–1 s of silence.
func DefaultConfig() Config {
	return Config{
		HeartbeatTimeout:   500 * time.Millisecond,
		ElectionTimeout:    500 * time.Millisecond,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      5 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   2 * time.Minute,
		TrailingLogs:       10240,
		MaxAppendEntries:   256,
		MaxCommandBytes:    3 << 20,
		BarrierTimeout:     30 * time.Second,
		NoFreelistSync:     true,
		LogStore:           LogStoreBolt,
	}
}

func (c Config) validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("raft: id is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("raft: data dir is required"))
	}
	if c.RaftAddr == "" {
		errs = append(errs, errors.New("raft: raft address is required"))
	}
	if len(c.InitialCluster) > 0 {
		if _, ok := c.InitialCluster[c.ID]; !ok {
			errs = append(errs, fmt.Errorf("raft: initial cluster does not include this member %q", c.ID))
		}
	}
	if c.MaxAppendEntries < 0 || c.MaxAppendEntries > 1024 {
		errs = append(errs, fmt.Errorf("raft: max append entries %d: want 1 to 1024 (0: hashicorp/raft's 64)", c.MaxAppendEntries))
	}
	if c.LogStore != "" && c.LogStore != LogStoreBolt && c.LogStore != LogStoreWAL {
		errs = append(errs, fmt.Errorf("raft: log store %q: want %s or %s", c.LogStore, LogStoreBolt, LogStoreWAL))
	}
	if float64(c.TrailingLogs) < 1.25*float64(c.SnapshotThreshold) {
		errs = append(errs, fmt.Errorf("raft: trailing logs %d must be at least 1.25 x snapshot threshold %d", c.TrailingLogs, c.SnapshotThreshold))
	}
	return errors.Join(errs...)
}
