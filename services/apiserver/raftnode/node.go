package raftnode

import (
	"context"
	"fmt"
	"github.com/gantryio/gantry/internal/coalesce"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryio/gantry/internal/logging"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Node is one master's Raft replica.
type Node struct {
	cfg  Config
	log  *zap.Logger
	st   *store.Store
	r    *raft.Raft
	logs raft.LogStore
	bolt *raftboltdb.BoltStore
	// logCloser closes the log store when it is not bolt (nil otherwise).
	logCloser io.Closer
	trans     *raft.NetworkTransport
	fsm       *fsm
	reads     *coalesce.Rounds[uint64]
	ready     atomic.Bool // leader and barrier done in this term
	readyC    *signal

	// OnLeader runs, in its own goroutine, each time this master becomes a
	// ready leader; its context ends when leadership is lost.
	OnLeader func(ctx context.Context)

	shutdownOnce sync.Once
}

// New opens (or creates) the replica's on-disk state and starts Raft. A
// new cluster is bootstrapped only when there is no existing state.
func New(cfg Config, st *store.Store, logger *zap.Logger) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: logger.Named("raft"), st: st, readyC: newSignal()}
	n.fsm = &fsm{st: st, applied: newSignal()}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := n.open(); err != nil {
		n.closeStores()
		return nil, err
	}
	n.reads = newReadRounds(n)
	return n, nil
}

func (n *Node) open() error {
	hl := logging.HCLog(n.log, "hashicorp")
	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path:                    filepath.Join(n.cfg.DataDir, raftDBFile),
		BoltOptions:             &bbolt.Options{Timeout: time.Second, NoFreelistSync: n.cfg.NoFreelistSync, FreelistType: bbolt.FreelistMapType},
		MsgpackUseNewTimeFormat: true,
	})
	if err != nil {
		return fmt.Errorf("open raft log store: %w", err)
	}
	n.bolt = bolt
	logs, closer, err := openLogStore(n.cfg, bolt, hl)
	if err != nil {
		return err
	}
	n.logCloser = closer
	n.logs, err = raft.NewLogCache(512, logs)
	if err != nil {
		return fmt.Errorf("log cache: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(n.cfg.DataDir, snapshotsDir), retainSnapshots, hl)
	if err != nil {
		return fmt.Errorf("open snapshot store: %w", err)
	}
	addr, err := net.ResolveTCPAddr("tcp", n.cfg.RaftAddr)
	if err != nil {
		return fmt.Errorf("raft address %q: %w", n.cfg.RaftAddr, err)
	}
	n.trans, err = newTransport(n.cfg.RaftAddr, addr, hl)
	if err != nil {
		return fmt.Errorf("listen for raft on %s: %w", n.cfg.RaftAddr, err)
	}
	rc := n.raftConfig()
	if err := n.bootstrap(rc, snaps); err != nil {
		return err
	}
	n.r, err = raft.NewRaft(rc, n.fsm, n.logs, bolt, snaps, n.trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	return nil
}

func (n *Node) raftConfig() *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.ID)
	rc.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	rc.ElectionTimeout = n.cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = n.cfg.LeaderLeaseTimeout
	if n.cfg.CommitTimeout > 0 {
		rc.CommitTimeout = n.cfg.CommitTimeout
	}
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.SnapshotInterval = n.cfg.SnapshotInterval
	rc.TrailingLogs = n.cfg.TrailingLogs
	rc.Logger = logging.HCLog(n.log, "hashicorp")
	if n.cfg.MaxAppendEntries > 0 {
		rc.MaxAppendEntries = n.cfg.MaxAppendEntries
		rc.BatchApplyCh = true
	}
	return rc
}

func (n *Node) bootstrap(rc *raft.Config, snaps raft.SnapshotStore) error {
	has, err := raft.HasExistingState(n.logs, n.bolt, snaps)
	if err != nil {
		return fmt.Errorf("inspect raft state: %w", err)
	}
	if has || len(n.cfg.InitialCluster) == 0 {
		return nil
	}
	var conf raft.Configuration
	for id, addr := range n.cfg.InitialCluster {
		conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(addr), Suffrage: raft.Voter})
	}
	if err := raft.BootstrapCluster(rc, n.logs, n.bolt, snaps, n.trans, conf); err != nil {
		return fmt.Errorf("bootstrap cluster: %w", err)
	}
	n.log.Info("bootstrapped a new cluster", zap.Int("members", len(conf.Servers)))
	return nil
}

// Run watches leadership until ctx ends. One goroutine owns every
// leadership transition, so no notification is lost or handled twice.
func (n *Node) Run(ctx context.Context) error {
	var lead leadership
	defer lead.stop()
	leaderCh := n.r.LeaderCh()
	for {
		select {
		case <-ctx.Done():
			return nil
		case isLeader := <-leaderCh:
			// "true" twice means lost and regained: start over either way.
			lead.stop()
			n.setReady(false)
			if isLeader {
				go n.leaderLoop(lead.start(ctx))
			}
		}
	}
}

// leadership holds the context of the current term's leader duties.
type leadership struct{ cancel context.CancelFunc }

func (l *leadership) start(ctx context.Context) context.Context {
	lctx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	return lctx
}

func (l *leadership) stop() {
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
}

// leaderLoop waits for every earlier entry to be applied (Barrier) before
// this master serves writes and linearizable reads as leader.
func (n *Node) leaderLoop(ctx context.Context) {
	n.log.Info("became leader; waiting for the barrier", zap.Uint64("term", n.Term()))
	if err := n.r.Barrier(n.cfg.BarrierTimeout).Error(); err != nil {
		n.log.Warn("barrier failed; handing leadership over", zap.Error(err))
		_ = n.r.LeadershipTransfer().Error()
		return
	}
	if ctx.Err() != nil {
		return
	}
	n.setReady(true)
	n.log.Info("leader ready", zap.Uint64("term", n.Term()), zap.Uint64("applied", n.r.AppliedIndex()))
	if n.OnLeader != nil {
		n.OnLeader(ctx)
	}
}

func (n *Node) setReady(v bool) {
	if n.ready.Swap(v) != v {
		n.readyC.broadcast()
	}
}

// Shutdown hands leadership to another member when this one leads, then
// stops Raft and closes the stores.
func (n *Node) Shutdown() error {
	var err error
	n.shutdownOnce.Do(func() {
		if n.r == nil {
			return
		}
		if n.r.State() == raft.Leader && n.voters() > 1 {
			n.log.Info("transferring leadership before shutdown")
			if terr := n.r.LeadershipTransfer().Error(); terr != nil {
				n.log.Warn("leadership transfer failed", zap.Error(terr))
			}
		}
		n.setReady(false)
		err = n.r.Shutdown().Error()
		n.closeStores()
	})
	return err
}

// Crash stops Raft at once without handing leadership over, as a killed
// process would; tests use it to exercise failover.
func (n *Node) Crash() {
	n.shutdownOnce.Do(func() {
		n.setReady(false)
		_ = n.r.Shutdown().Error()
		n.closeStores()
	})
}

func (n *Node) closeStores() {
	if n.trans != nil {
		_ = n.trans.Close()
	}
	if n.logCloser != nil {
		_ = n.logCloser.Close()
	}
	if n.bolt != nil {
		_ = n.bolt.Close()
	}
}

func (n *Node) voters() int {
	f := n.r.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	c := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			c++
		}
	}
	return c
}
