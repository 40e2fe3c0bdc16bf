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
	// BasePort+100+i and HTTP on BasePort+200+i. Zero picks free ports
	// (see FreePorts), so clusters never collide with each other.
	BasePort int
	// Ports, when set, gives every master's ports explicitly (one entry per
	// master) and overrides BasePort.
	Ports []Ports
	// ReadyTimeout bounds WaitReady.
	ReadyTimeout time.Duration
	// LogLevel is passed to every child.
	LogLevel string
	// MasterArgs are extra flags for every apiserver.
	MasterArgs []string
	// Workers are the components that run beside the masters.
	Workers Workers
	// NodeFailure tunes how fast a failed node's pods move (flags for the
	// masters, controller and node agents, before their own extra args).
	NodeFailure NodeFailure
}

// DefaultConfig is three masters on 127.0.0.1:7001-7003.
func DefaultConfig() Config {
	return Config{Masters: 3, Host: "127.0.0.1", BasePort: 7001, ReadyTimeout: 60 * time.Second, LogLevel: "info"}
}

// Ports are one master's ports on Config.Host.
type Ports struct {
	GRPC, Raft, HTTP int
}

// Cluster is a running local cluster.
type Cluster struct {
	cfg     Config
	ports   []Ports
	Masters []*Proc

	scheduler, controller *component
	nodes                 []*component
	proxies               []*component
	// resolvedProxyMode is auto's answer, found once (proxyMode).
	resolvedProxyMode string
	// ingressPorts are the proxies' shared ingress HTTP and HTTPS ports
	// (ingressArgs).
	ingressPorts [2]int

	// given holds the free ports handed out so far (BasePort 0).
	given map[int]bool
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
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultConfig().ReadyTimeout
	}
	c := &Cluster{cfg: cfg, given: map[int]bool{}}
	ports, err := c.masterPorts()
	if err != nil {
		return nil, err
	}
	c.ports = ports
	var peers []string
	for i, p := range ports {
		peers = append(peers, fmt.Sprintf("%s=%s", masterID(i), c.addr(p.Raft)))
	}
	for i := range ports {
		c.Masters = append(c.Masters, c.newMaster(i, "--initial-cluster", strings.Join(peers, ",")))
	}
	if err := c.newWorkers(); err != nil {
		return nil, err
	}
	return c, nil
}

// masterPorts resolves every master's ports: explicit, from BasePort, or free.
func (c *Cluster) masterPorts() ([]Ports, error) {
	cfg := c.cfg
	switch {
	case len(cfg.Ports) > 0:
		if len(cfg.Ports) != cfg.Masters {
			return nil, fmt.Errorf("ports: %d entries for %d masters", len(cfg.Ports), cfg.Masters)
		}
		return append([]Ports(nil), cfg.Ports...), nil
	case cfg.BasePort == 0:
		return c.freePorts(cfg.Masters)
	case cfg.BasePort < 0 || cfg.BasePort+200+cfg.Masters > 65536:
		return nil, fmt.Errorf("base port %d: out of range", cfg.BasePort)
	}
	out := make([]Ports, cfg.Masters)
	for i := range out {
		out[i] = Ports{GRPC: cfg.BasePort + i, Raft: cfg.BasePort + 100 + i, HTTP: cfg.BasePort + 200 + i}
	}
	return out, nil
}

// FreePorts returns n sets of distinct ports that were free on host a
// moment ago (the kernel picks them; all are held open together so none
// repeats).
func FreePorts(host string, n int) ([]Ports, error) {
	return freePortsExcept(host, n, nil)
}

// freePorts is FreePorts for this cluster: it never hands out a port it
// handed out before. The kernel may well pick a port again once the call
// that held it has let it go, and then two of the cluster's processes
// would try to bind it (with 19 ports, about one cluster in a hundred).
func (c *Cluster) freePorts(n int) ([]Ports, error) {
	out, err := freePortsExcept(c.cfg.Host, n, c.given)
	for _, p := range out {
		c.given[p.GRPC], c.given[p.Raft], c.given[p.HTTP] = true, true, true
	}
	return out, err
}

// maxSkips bounds how many taken ports freePortsExcept skips in one call.
const maxSkips = 1000

// freePortsExcept is FreePorts, skipping the ports in taken.
func freePortsExcept(host string, n int, taken map[int]bool) ([]Ports, error) {
	ls := make([]net.Listener, 0, 3*n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	skips := 0
	next := func() (int, error) {
		for {
			l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
			if err != nil {
				return 0, fmt.Errorf("find a free port on %s: %w", host, err)
			}
			ls = append(ls, l) // held open, so the kernel picks another next time
			port := l.Addr().(*net.TCPAddr).Port
			if !taken[port] {
				return port, nil
			}
			if skips++; skips > maxSkips {
				return 0, fmt.Errorf("find a free port on %s: %d picks were all taken", host, maxSkips)
			}
		}
	}
	out := make([]Ports, n)
	for i := range out {
		for _, p := range []*int{&out[i].GRPC, &out[i].Raft, &out[i].HTTP} {
			var err error
			if *p, err = next(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// newMaster prepares master i (its ports are c.ports[i]); how it finds
// its cluster (--initial-cluster or --join) is in how.
func (c *Cluster) newMaster(i int, how ...string) *Proc {
	id := masterID(i)
	p := c.ports[i]
	args := []string{"apiserver", "--id", id,
		"--data-dir", filepath.Join(c.cfg.DataDir, id),
		"--listen", c.addr(p.GRPC),
		"--raft-listen", c.addr(p.Raft),
		"--http-listen", c.addr(p.HTTP)}
	args = append(args, how...)
	args = append(args, "--log-level", c.cfg.LogLevel)
	args = append(args, c.cfg.NodeFailure.masterArgs()...)
	args = append(args, c.cfg.MasterArgs...)
	return &Proc{Name: id, Binary: c.cfg.Binary, Args: args, LogPath: filepath.Join(c.LogDir(), id+".log")}
}

// AddMaster starts one more master that joins the running cluster through
// the current masters (gantry apiserver --join). ports nil picks free
// ports when the cluster has them, else the next ones after BasePort.
// Wait for it with the ClusterService (its Status lists the new member).
func (c *Cluster) AddMaster(ports *Ports) (*Proc, error) {
	i := len(c.Masters)
	switch {
	case ports != nil:
		c.ports = append(c.ports, *ports)
	case c.cfg.BasePort != 0 && len(c.cfg.Ports) == 0:
		b := c.cfg.BasePort
		c.ports = append(c.ports, Ports{GRPC: b + i, Raft: b + 100 + i, HTTP: b + 200 + i})
	default:
		free, err := c.freePorts(1)
		if err != nil {
			return nil, err
		}
		c.ports = append(c.ports, free[0])
	}
	p := c.newMaster(i, "--join", strings.Join(c.Servers(), ","))
	if err := p.Start(); err != nil {
		c.ports = c.ports[:i]
		return nil, err
	}
	c.Masters = append(c.Masters, p)
	return p, nil
}

// Master returns the master with the given id (m1, m2, ...), or nil.
func (c *Cluster) Master(id string) *Proc {
	for _, p := range c.Masters {
		if p.Name == id {
			return p
		}
	}
	return nil
}

func masterID(i int) string { return "m" + strconv.Itoa(i+1) }

func (c *Cluster) addr(port int) string { return net.JoinHostPort(c.cfg.Host, strconv.Itoa(port)) }

// Servers returns the masters' gRPC addresses.
func (c *Cluster) Servers() []string {
	return c.addrs(func(p Ports) int { return p.GRPC })
}

// RaftAddrs returns the masters' Raft peer addresses.
func (c *Cluster) RaftAddrs() []string {
	return c.addrs(func(p Ports) int { return p.Raft })
}

// HTTPAddrs returns the masters' HTTP addresses.
func (c *Cluster) HTTPAddrs() []string {
	return c.addrs(func(p Ports) int { return p.HTTP })
}

func (c *Cluster) addrs(port func(Ports) int) []string {
	out := make([]string, 0, len(c.Masters))
	for i := range c.Masters {
		out = append(out, c.addr(port(c.ports[i])))
	}
	return out
}

// LogDir is where every child writes its log.
func (c *Cluster) LogDir() string { return filepath.Join(c.cfg.DataDir, "logs") }

// Start launches every master, then the workers (which wait for the
// masters by themselves).
func (c *Cluster) Start() error {
	for _, p := range append(append([]*Proc(nil), c.Masters...), c.workerProcs()...) {
		if err := p.Start(); err != nil {
			c.Stop()
			return err
		}
	}
	return nil
}

// Stop stops every process with SIGTERM then SIGKILL: node agents first
// (they stop their pods), then the other workers, masters last.
func (c *Cluster) Stop() {
	workers := c.workerProcs()
	for i := len(workers) - 1; i >= 0; i-- {
		workers[i].Stop(30 * time.Second)
	}
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
		for _, p := range append(append([]*Proc(nil), c.Masters...), c.workerProcs()...) {
			if !p.Running() {
				return fmt.Errorf("%s exited during startup; see %s", p.Name, p.LogPath)
			}
		}
		if last = c.ready(ctx); last == nil {
			if last = c.workersReady(ctx); last == nil {
				return nil
			}
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
