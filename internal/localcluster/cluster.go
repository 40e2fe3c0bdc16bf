package localcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Config describes a local cluster.
type Config struct {
	// Binary is the gantry executable (default: this process's own).
	Binary string
	// DataDir holds each member's data and logs/.
	DataDir string
	// Masters is the number of apiservers.
	Masters int
	// Host is the loopback address every component binds.
	Host string
	// BasePort: master i (from 0) serves gRPC on BasePort+i, Raft on
	// BasePort+100+i and HTTP on BasePort+200+i.
	BasePort int
	// ReadyTimeout bounds WaitReady.
	ReadyTimeout time.Duration
	// LogLevel is passed to every child.
	LogLevel string
	// MasterArgs are extra flags for every apiserver.
	MasterArgs []string
}

// DefaultConfig is three masters on 127.0.0.1:7001-7003.
func DefaultConfig() Config {
	return Config{Masters: 3, Host: "127.0.0.1", BasePort: 7001, ReadyTimeout: 60 * time.Second, LogLevel: "info"}
}

// Cluster is a running local cluster.
type Cluster struct {
	cfg     Config
	Masters []*Proc
}

// New prepares a cluster; Start launches it.
func New(cfg Config) (*Cluster, error) {
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the gantry binary: %w", err)
		}
		cfg.Binary = exe
	}
	if cfg.Masters < 1 || cfg.Masters > 7 {
		return nil, fmt.Errorf("masters: %d: want 1 to 7", cfg.Masters)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("data dir is required")
	}
	c := &Cluster{cfg: cfg}
	var peers []string
	for i := 0; i < cfg.Masters; i++ {
		peers = append(peers, fmt.Sprintf("%s=%s", masterID(i), c.addr(cfg.BasePort+100+i)))
	}
	for i := 0; i < cfg.Masters; i++ {
		id := masterID(i)
		args := []string{"apiserver", "--id", id,
			"--data-dir", filepath.Join(cfg.DataDir, id),
			"--listen", c.addr(cfg.BasePort + i),
			"--raft-listen", c.addr(cfg.BasePort + 100 + i),
			"--http-listen", c.addr(cfg.BasePort + 200 + i),
			"--initial-cluster", strings.Join(peers, ","),
			"--log-level", cfg.LogLevel}
		args = append(args, cfg.MasterArgs...)
		c.Masters = append(c.Masters, &Proc{Name: id, Binary: cfg.Binary, Args: args, LogPath: filepath.Join(cfg.DataDir, "logs", id+".log")})
	}
	return c, nil
}

func masterID(i int) string { return "m" + strconv.Itoa(i+1) }

func (c *Cluster) addr(port int) string { return net.JoinHostPort(c.cfg.Host, strconv.Itoa(port)) }

// Servers returns the masters' gRPC addresses.
func (c *Cluster) Servers() []string {
	var out []string
	for i := range c.Masters {
		out = append(out, c.addr(c.cfg.BasePort+i))
	}
	return out
}

// HTTPAddrs returns the masters' HTTP addresses.
func (c *Cluster) HTTPAddrs() []string {
	var out []string
	for i := range c.Masters {
		out = append(out, c.addr(c.cfg.BasePort+200+i))
	}
	return out
}

// LogDir is where every child writes its log.
func (c *Cluster) LogDir() string { return filepath.Join(c.cfg.DataDir, "logs") }

// Start launches every master.
func (c *Cluster) Start() error {
	for _, p := range c.Masters {
		if err := p.Start(); err != nil {
			c.Stop()
			return err
		}
	}
	return nil
}

// Stop stops every process, masters last, with SIGTERM then SIGKILL.
func (c *Cluster) Stop() {
	for i := len(c.Masters) - 1; i >= 0; i-- {
		c.Masters[i].Stop(10 * time.Second)
	}
}

// WaitReady polls until a leader serves and every master has registered,
// or the timeout passes. It reports the first master that died.
func (c *Cluster) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ReadyTimeout)
	defer cancel()
	var last error
	for {
		for _, p := range c.Masters {
			if !p.Running() {
				return fmt.Errorf("%s exited during startup; see %s", p.Name, p.LogPath)
			}
		}
		if last = c.ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready after %s: %w (logs in %s)", c.cfg.ReadyTimeout, last, c.LogDir())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *Cluster) ready(ctx context.Context) error {
	conn, err := grpc.NewClient(c.Servers()[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := gantryv1.NewClusterServiceClient(conn).Status(cctx, &gantryv1.StatusRequest{})
	if err != nil {
		return err
	}
	if st.GetLeaderId() == "" {
		return errors.New("no leader yet")
	}
	for _, m := range st.GetMembers() {
		if m.GetApiAddress() == "" || m.GetRole() == "unknown" {
			return fmt.Errorf("member %s not ready", m.GetId())
		}
	}
	_, err = gantryv1.NewResourceServiceClient(conn).Get(cctx, &gantryv1.GetRequest{Kind: "Namespace", Name: "default"})
	return err
}
