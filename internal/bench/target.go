package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/gantryio/gantry/internal/localcluster"
)

// Target is the cluster under test.
type Target interface {
	// Servers are the masters' gRPC addresses.
	Servers() []string
	// Kill stops master id at once, as SIGKILL does; Restart starts it
	// again with its data. Targets that cannot do it return ErrNoKill.
	Kill(id string) error
	Restart(id string) error
	// Pids maps master ids to process ids for CPU accounting; nil when the
	// masters are not local processes.
	Pids() map[string]int
}

// ErrNoKill is returned by targets that cannot kill masters.
var ErrNoKill = errors.New("bench: this target cannot kill masters (start the cluster from the benchmark)")

// remote is a cluster someone else runs.
type remote []string

func (r remote) Servers() []string    { return r }
func (r remote) Kill(string) error    { return ErrNoKill }
func (r remote) Restart(string) error { return ErrNoKill }
func (r remote) Pids() map[string]int { return nil }

// local is a cluster of child processes this run started.
type local struct{ c *localcluster.Cluster }

func (l local) Servers() []string { return l.c.Servers() }

func (l local) proc(id string) (*localcluster.Proc, error) {
	if p := l.c.Master(id); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("bench: no master %q in this cluster", id)
}

func (l local) Kill(id string) error {
	p, err := l.proc(id)
	if err != nil {
		return err
	}
	p.Kill()
	if p.Running() {
		return fmt.Errorf("bench: %s survived SIGKILL", id)
	}
	return nil
}

func (l local) Restart(id string) error {
	p, err := l.proc(id)
	if err != nil {
		return err
	}
	return p.Start()
}

func (l local) Pids() map[string]int {
	out := map[string]int{}
	for _, p := range l.c.Masters {
		if pid := p.Pid(); pid > 0 && p.Running() {
			out[p.Name] = pid
		}
	}
	return out
}

// startLocal starts a three-master cluster on cfg.BasePort (0: free ports)
// and returns it with a function that stops it and removes a temporary
// data directory.
func startLocal(ctx context.Context, cfg *Config) (Target, func(), error) {
	if cfg.BasePort != 0 {
		if err := portsFree(cfg.BasePort, 3); err != nil {
			return nil, nil, err
		}
	}
	dir, tmp := cfg.DataDir, cfg.DataDir == ""
	if tmp {
		var err error
		if dir, err = os.MkdirTemp("", "gantry-bench-"); err != nil {
			return nil, nil, err
		}
	}
	lc := localcluster.DefaultConfig()
	lc.Binary, lc.DataDir, lc.BasePort, lc.LogLevel = cfg.Binary, dir, cfg.BasePort, cfg.MasterLogLevel
	lc.MasterArgs = append(lc.MasterArgs, cfg.MasterArgs...)
	c, err := localcluster.New(lc)
	if err == nil {
		err = c.Start()
	}
	cleanup := func() {
		if c != nil {
			c.Stop()
		}
		if tmp {
			_ = os.RemoveAll(dir)
		}
	}
	if err == nil {
		progress(cfg, "started 3 masters on %v (data and logs in %s)", c.Servers(), dir)
		err = c.WaitReady(ctx)
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return local{c}, cleanup, nil
}

// portsFree checks every port a cluster of n masters at base would bind,
// so a busy range fails with advice instead of a master's startup error.
func portsFree(base, n int) error {
	for _, off := range []int{0, 100, 200} {
		for i := 0; i < n; i++ {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(base+off+i))
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("bench: port %s is busy (%v); pick another range with --base-port", addr, err)
			}
			_ = l.Close()
		}
	}
	return nil
}

func progress(cfg *Config, format string, a ...any) {
	fmt.Fprintf(cfg.Progress, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}
