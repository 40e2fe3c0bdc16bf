package testutil

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/apiserver"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Member is one in-process master.
type Member struct {
	ID       string
	Cfg      apiserver.Config
	srv      *apiserver.Server
	cancel   context.CancelFunc
	done     chan error
	conn     *grpc.ClientConn
	Running  bool
	Resource gantryv1.ResourceServiceClient
	Cluster  gantryv1.ClusterServiceClient
}

// Cluster is a set of in-process masters.
type Cluster struct {
	t       testing.TB
	log     *zap.Logger
	Members []*Member
}

// Option changes every member's config before start.
type Option func(*apiserver.Config)

// NewCluster starts n masters that bootstrap one cluster, waits for a
// ready leader, and stops them all when the test ends. The masters use
// steady Raft timeouts (see steadyRaftTimeout) unless an option, such as
// ProductRaftTimeouts, says otherwise.
func NewCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	c := &Cluster{t: t, log: clusterLogger(t)}
	peers := map[string]string{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("m%d", i+1)
		cfg := apiserver.DefaultConfig()
		cfg.ID, cfg.DataDir = id, filepath.Join(t.TempDir(), id)
		cfg.Listen, cfg.RaftListen = FreeAddr(t), FreeAddr(t)
		steadyRaft(&cfg)
		for _, o := range opts {
			o(&cfg)
		}
		peers[id] = cfg.RaftListen
		c.Members = append(c.Members, &Member{ID: id, Cfg: cfg})
	}
	for _, m := range c.Members {
		m.Cfg.InitialCluster = peers
		c.Start(m)
	}
	t.Cleanup(c.StopAll)
	c.WaitBootstrapped()
	return c
}

// WaitBootstrapped waits (up to 30 s: elections take seconds with steady
// timeouts, longer when a vote splits) until a ready leader has written
// what a new cluster starts with: the default namespace and the API
// address of every running member. A leader is ready before that, so
// writes into "default" right after an election can still fail with
// NOT_FOUND on a brand-new cluster.
func (c *Cluster) WaitBootstrapped() {
	c.t.Helper()
	Eventually(c.t, 30*time.Second, func() error {
		var leader *Member
		for _, m := range c.Members {
			if m.Running && m.srv.IsLeader() {
				leader = m
			}
		}
		if leader == nil {
			return errors.New("no ready leader")
		}
		st := leader.srv.Store()
		if _, _, err := st.Get("Namespace", "", "default"); err != nil {
			return fmt.Errorf("namespace default: %w", err)
		}
		for _, m := range c.Members {
			if info, ok := st.Member(m.ID); m.Running && (!ok || info.GetApiAddress() != m.Cfg.Listen) {
				return fmt.Errorf("the API address of %s is not registered yet", m.ID)
			}
		}
		return nil
	})
}

// Start (re)starts a member with its config and data directory.
func (c *Cluster) Start(m *Member) {
	c.t.Helper()
	srv, err := apiserver.New(m.Cfg, c.log.With(zap.String("m", m.ID)))
	if err != nil {
		c.t.Fatalf("start %s: %v", m.ID, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.srv, m.cancel, m.done, m.Running = srv, cancel, make(chan error, 1), true
	go func() { m.done <- srv.Run(ctx) }()
	conn, err := grpc.NewClient(m.Cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		c.t.Fatalf("dial %s: %v", m.ID, err)
	}
	m.conn, m.Resource, m.Cluster = conn, gantryv1.NewResourceServiceClient(conn), gantryv1.NewClusterServiceClient(conn)
}

// Stop shuts a member down gracefully (a leader hands leadership over).
func (c *Cluster) Stop(m *Member) {
	if !m.Running {
		return
	}
	m.cancel()
	select {
	case <-m.done:
	case <-time.After(30 * time.Second):
		// The stacks name what the stop waits on; without them a hang
		// under load cannot be told apart from a slow machine.
		c.t.Errorf("%s did not stop within 30s; goroutines:\n%s", m.ID, Goroutines())
	}
	m.conn.Close()
	m.Running = false
}

// Crash stops a member abruptly, without leadership transfer.
func (c *Cluster) Crash(m *Member) {
	if !m.Running {
		return
	}
	m.srv.Crash()
	m.cancel()
	<-m.done
	m.conn.Close()
	m.Running = false
}

// StopAll stops every running member.
func (c *Cluster) StopAll() {
	for _, m := range c.Members {
		c.Stop(m)
	}
}

// Leader waits (up to 30 s, enough for an election after a Crash) for a
// ready leader among the running members.
func (c *Cluster) Leader() *Member {
	c.t.Helper()
	var leader *Member
	Eventually(c.t, 30*time.Second, func() error {
		leader = nil
		for _, m := range c.Members {
			if m.Running && m.srv.IsLeader() {
				leader = m
			}
		}
		if leader == nil {
			return errors.New("no ready leader")
		}
		return nil
	})
	return leader
}

// Followers returns the running members that are not the leader.
func (c *Cluster) Followers() []*Member {
	l := c.Leader()
	var out []*Member
	for _, m := range c.Members {
		if m.Running && m != l {
			out = append(out, m)
		}
	}
	return out
}

// Server returns the member's apiserver.
func (m *Member) Server() *apiserver.Server { return m.srv }
