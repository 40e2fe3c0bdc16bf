package schedbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/localcluster"
	"go.uber.org/zap"
)

// Config sizes the benchmark.
type Config struct {
	Nodes, Pods int
	// Binary is the gantry executable (default: this process).
	Binary string
	// DataDir is kept when set; otherwise a temporary one is removed.
	DataDir string
	// Timeout bounds each phase.
	Timeout time.Duration
	Out     io.Writer
}

// DefaultConfig is the benchmark: 10,000 pods on 1,000 nodes.
func DefaultConfig() Config {
	return Config{Nodes: 1000, Pods: 10000, Timeout: 5 * time.Minute, Out: os.Stdout}
}

// Result is what one run measured.
type Result struct {
	Nodes, Pods          int
	NodesReady           time.Duration
	Bound, Running, Gone time.Duration
	PeakRSS              map[string]uint64
}

// Bench is one run.
type Bench struct {
	cfg Config
	log *zap.Logger
	c   *localcluster.Cluster
	sim *localcluster.Proc
	cl  *client.Client
}

// New validates the config.
func New(cfg Config, logger *zap.Logger) (*Bench, error) {
	if cfg.Nodes < 1 || cfg.Pods < 1 {
		return nil, errors.New("schedule bench: --nodes and --pods must be positive")
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	return &Bench{cfg: cfg, log: logger}, nil
}

// Run starts the cluster, measures, prints and stops everything.
func (b *Bench) Run(ctx context.Context) (*Result, error) {
	stop, err := b.start()
	if err != nil {
		return nil, err
	}
	defer stop()
	res := &Result{Nodes: b.cfg.Nodes, Pods: b.cfg.Pods}
	if err := b.measure(ctx, res); err != nil {
		return res, err
	}
	res.PeakRSS = b.peakRSS()
	b.print(res)
	return res, nil
}

func (b *Bench) start() (func(), error) {
	dir := b.cfg.DataDir
	cleanup := func() {}
	if dir == "" {
		d, err := os.MkdirTemp("", "gantry-schedbench-")
		if err != nil {
			return nil, err
		}
		dir, cleanup = d, func() { _ = os.RemoveAll(d) }
	}
	lc := localcluster.DefaultConfig()
	lc.Binary, lc.DataDir, lc.BasePort, lc.LogLevel = b.cfg.Binary, dir, 0, "warn"
	// A /26 per node leaves room for 1,024 nodes in the default /16.
	lc.Workers = localcluster.Workers{Scheduler: true, Controller: true, ControllerArgs: []string{"--node-cidr-mask-size", "26"}}
	c, err := localcluster.New(lc)
	if err != nil {
		cleanup()
		return nil, err
	}
	b.c = c
	if err := c.Start(); err != nil {
		cleanup()
		return nil, err
	}
	stop := func() { b.stopSim(); c.Stop(); cleanup() }
	if err := c.WaitReady(context.Background()); err != nil {
		stop()
		return nil, err
	}
	if err := b.startSim(dir, c.Servers()); err != nil {
		stop()
		return nil, err
	}
	b.cl, err = client.New(client.Config{Servers: c.Servers()}, b.log)
	if err != nil {
		stop()
		return nil, err
	}
	return func() { _ = b.cl.Close(); stop() }, nil
}

func (b *Bench) startSim(dir string, servers []string) error {
	ports, err := localcluster.FreePorts("127.0.0.1", 1)
	if err != nil {
		return err
	}
	exe := b.cfg.Binary
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	b.sim = &localcluster.Proc{Name: "simulated-nodes", Binary: exe, LogPath: filepath.Join(dir, "logs", "simulated-nodes.log"),
		Args: []string{"nodeagent", "--simulate", strconv.Itoa(b.cfg.Nodes), "--name-prefix", "sim-", "--runtime", "simulated",
			"--servers", strings.Join(servers, ","), "--log-level", "warn",
			"--listen", fmt.Sprintf("127.0.0.1:%d", ports[0].GRPC), "--http-listen", fmt.Sprintf("127.0.0.1:%d", ports[0].HTTP)}}
	return b.sim.Start()
}

func (b *Bench) stopSim() {
	if b.sim != nil {
		b.sim.Stop(30 * time.Second)
	}
}

// peakRSS reads each process's high-water resident set (VmHWM).
func (b *Bench) peakRSS() map[string]uint64 {
	out := map[string]uint64{}
	procs := append(append([]*localcluster.Proc(nil), b.c.Masters...), b.c.Scheduler(), b.c.Controller(), b.sim)
	for _, p := range procs {
		if p == nil || p.Pid() == 0 {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				out[p.Name] = kb * 1024
			}
		}
	}
	return out
}
