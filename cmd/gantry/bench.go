package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/gantryio/gantry/internal/bench"
	"github.com/spf13/cobra"
)

// benchOptions are the bench command's flags.
type benchOptions struct {
	cfg     bench.Config
	servers string
	quick   bool
	// cpuProfile is where to write a CPU profile of this process (the
	// load generators and watchers; masters serve their own /debug/pprof/).
	cpuProfile string
}

func benchCmd() *cobra.Command { return newBenchCmd(&benchOptions{cfg: bench.DefaultConfig()}) }

func newBenchCmd(o *benchOptions) *cobra.Command {
	cfg := &o.cfg
	cmd := &cobra.Command{
		Use:   "bench [write|read|watch|failover|all]...",
		Short: "Benchmark a three-master cluster: writes, reads, watch fan-out and leader failover",
		Long: `Benchmark Gantry the way etcd's benchmark tool measures etcd.

Without --servers it starts its own three masters (child processes of this
binary) on --base-port (gRPC), +100 (Raft) and +200 (HTTP), in a temporary
directory removed afterwards, and reports the CPU every master used.

Sections (default all):
  write     Create ConfigMaps with one --value-size value at each --write-clients level
  read      Get ConfigMaps, linearizable and stale, at each --read-clients level
  watch     --watchers watchers while one writer creates --watch-rate objects/s
  failover  SIGKILL the leader under write load; no acknowledged write may be lost`,
		Example: `  gantry bench                      # everything, about four minutes
  gantry bench write read --quick   # a quick look
  gantry bench watch --watchers 100 --watch-duration 5s
  gantry bench --servers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 write --json`,
		ValidArgs: []string{"write", "read", "watch", "failover", "all"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd.Flags().Changed, args); err != nil {
				return err
			}
			log, err := newLogger(cmd)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			cfg.Out, cfg.Progress = cmd.OutOrStdout(), cmd.ErrOrStderr()
			b, err := bench.New(*cfg, log)
			if err != nil {
				return err
			}
			stop, err := startCPUProfile(o.cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			return b.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.servers, "servers", "", "benchmark a running cluster at these gRPC addresses (comma separated) instead of starting one")
	f.IntVar(&cfg.BasePort, "base-port", cfg.BasePort, "first gRPC port of the cluster the benchmark starts; Raft uses +100, HTTP +200 (0: free ports)")
	f.StringVar(&cfg.DataDir, "data-dir", "", "data directory of the cluster the benchmark starts (default: a temporary one, removed afterwards)")
	f.StringArrayVar(&cfg.MasterArgs, "master-arg", nil, "extra flag for every master the benchmark starts (repeatable), e.g. --master-arg=--watch-send-interval=0")
	f.StringVar(&cfg.MasterLogLevel, "master-log-level", cfg.MasterLogLevel, "log level of the masters the benchmark starts")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long each write and read level runs")
	f.IntVar(&cfg.Count, "count", 0, "run each write and read level for this many operations instead of --duration")
	f.IntVar(&cfg.ValueSize, "value-size", cfg.ValueSize, "bytes of the one value of every ConfigMap")
	f.IntVar(&cfg.FanOut, "clients-per-conn", cfg.FanOut, "closed-loop clients sharing one client (one connection to each master)")
	f.IntSliceVar(&cfg.WriteClients, "write-clients", cfg.WriteClients, "concurrent writers, one level each")
	f.StringSliceVar(&cfg.WriteModes, "write-modes", cfg.WriteModes, "round-robin (the client gets every master: writes go to the leader, reads spread), leader-only, followers (every write forwarded)")
	f.IntSliceVar(&cfg.ReadClients, "read-clients", cfg.ReadClients, "concurrent readers, one level each")
	f.IntVar(&cfg.ReadKeys, "read-keys", cfg.ReadKeys, "objects the readers read")
	f.IntSliceVar(&cfg.WatchCounts, "watchers", cfg.WatchCounts, "watchers, one level each")
	f.IntVar(&cfg.WatchRate, "watch-rate", cfg.WatchRate, "creates per second of the watch section's writer")
	f.DurationVar(&cfg.WatchDuration, "watch-duration", cfg.WatchDuration, "how long the watch section's writer writes")
	f.IntVar(&cfg.WatchersPerConn, "watchers-per-conn", cfg.WatchersPerConn, "watch streams sharing one connection")
	f.DurationVar(&cfg.WatchDrain, "watch-drain", cfg.WatchDrain, "how long to wait for watchers that fell behind")
	f.IntVar(&cfg.FailoverClients, "failover-clients", cfg.FailoverClients, "writers during the failover section")
	f.DurationVar(&cfg.FailoverBefore, "failover-before", cfg.FailoverBefore, "writing before the leader is killed")
	f.DurationVar(&cfg.FailoverAfter, "failover-after", cfg.FailoverAfter, "writing after the leader is killed")
	f.BoolVar(&cfg.JSON, "json", false, "print the whole report as JSON instead of tables")
	f.StringVar(&cfg.JSONFile, "json-file", "", "also write the whole report as JSON to this file")
	f.StringVar(&o.cpuProfile, "cpu-profile", "", "write a CPU profile of the benchmark process itself to this file (the masters serve theirs on /debug/pprof/)")
	f.BoolVar(&o.quick, "quick", false, "short run: 1 s per level, fewer levels, 100 watchers for 3 s (explicit flags still win)")
	return cmd
}

// complete fills the config from the positional sections, --servers and
// --quick; flags given explicitly win over --quick.
func (o *benchOptions) complete(changed func(flag string) bool, args []string) error {
	cfg := &o.cfg
	cfg.Sections = nil
	for _, a := range args {
		if a == "all" {
			cfg.Sections = bench.AllSections
			break
		}
		cfg.Sections = append(cfg.Sections, bench.Section(a))
	}
	if len(cfg.Sections) == 0 {
		cfg.Sections = bench.AllSections
	}
	if o.servers != "" {
		cfg.Servers = strings.Split(o.servers, ",")
	}
	if changed("duration") && changed("count") {
		return fmt.Errorf("--duration and --count are exclusive")
	}
	if !o.quick {
		return nil
	}
	q := *cfg
	q.Quick()
	keep := func(flag string, apply func()) {
		if !changed(flag) {
			apply()
		}
	}
	keep("duration", func() { cfg.Duration = q.Duration })
	keep("write-clients", func() { cfg.WriteClients = q.WriteClients })
	keep("write-modes", func() { cfg.WriteModes = q.WriteModes })
	keep("read-clients", func() { cfg.ReadClients = q.ReadClients })
	keep("watchers", func() { cfg.WatchCounts = q.WatchCounts })
	keep("watch-duration", func() { cfg.WatchDuration = q.WatchDuration })
	keep("failover-before", func() { cfg.FailoverBefore = q.FailoverBefore })
	keep("failover-after", func() { cfg.FailoverAfter = q.FailoverAfter })
	return nil
}

// startCPUProfile profiles this process into path until the returned
// function is called; an empty path profiles nothing.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}
