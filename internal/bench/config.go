package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Section names a part of the benchmark.
type Section string

// The sections, in the order Run runs them.
const (
	SectionWrite    Section = "write"
	SectionRead     Section = "read"
	SectionWatch    Section = "watch"
	SectionFailover Section = "failover"
)

// AllSections is every section in run order.
var AllSections = []Section{SectionWrite, SectionRead, SectionWatch, SectionFailover}

// Write modes: how writers pick a master.
const (
	// ModeRoundRobin gives the client every master, as users do: reads
	// spread, writes go to the leader once an answer has named it.
	ModeRoundRobin = "round-robin"
	// ModeLeader gives the client only the leader.
	ModeLeader = "leader-only"
	// ModeFollowers gives the client only the followers, so every write
	// pays the forwarding hop (what a client without leader routing pays
	// for two writes in three).
	ModeFollowers = "followers"
)

// Config describes one benchmark run.
type Config struct {
	// Sections to run, in any order (run in AllSections order).
	Sections []Section

	// Servers targets a running cluster instead of starting one. The
	// failover section needs a cluster it started (or Target).
	Servers []string
	// Target, when set, is the cluster under test (tests use it for an
	// in-process cluster); it wins over Servers.
	Target Target
	// BasePort, DataDir, Binary and MasterLogLevel describe the cluster Run
	// starts: gRPC on BasePort+i, Raft +100, HTTP +200 (BasePort 0: free
	// ports the kernel picks); DataDir "" means a
	// temporary directory removed afterwards; Binary "" means this
	// executable.
	BasePort       int
	DataDir        string
	Binary         string
	MasterLogLevel string
	// MasterArgs are extra flags for every master the run starts, to
	// compare settings (e.g. --watch-send-interval=0).
	MasterArgs []string

	// Duration is how long each load level runs; Count, when positive,
	// runs each level for that many operations instead.
	Duration time.Duration
	Count    int
	// ValueSize is the size of the one data value of every ConfigMap.
	ValueSize int
	// FanOut is how many closed-loop clients share one client connection.
	FanOut int

	// WriteClients are the concurrency levels of the write section;
	// WriteModes say how writers pick masters (ModeRoundRobin, ModeLeader,
	// ModeFollowers).
	WriteClients []int
	WriteModes   []string

	// ReadClients are the concurrency levels of the read section; ReadKeys
	// is how many objects they read.
	ReadClients []int
	ReadKeys    int

	// WatchCounts are the watcher counts of the watch section, each run
	// with one writer at WatchRate creates a second for WatchDuration.
	WatchCounts     []int
	WatchRate       int
	WatchDuration   time.Duration
	WatchersPerConn int
	// WatchInFlight bounds the writer's outstanding creates.
	WatchInFlight int
	// WatchDrain bounds the wait for watchers to receive every event after
	// the writer stops.
	WatchDrain time.Duration

	// FailoverClients write for FailoverBefore, then the leader is killed,
	// then they write for FailoverAfter more.
	FailoverClients int
	FailoverBefore  time.Duration
	FailoverAfter   time.Duration

	// Out receives the tables (or JSON); Progress a line per step.
	Out, Progress io.Writer
	// JSON prints the whole Report as JSON at the end instead of tables;
	// JSONFile, when set, also writes it to that file.
	JSON     bool
	JSONFile string
}

// DefaultConfig runs every section at the levels the etcd benchmark
// figures use, for about four minutes.
func DefaultConfig() Config {
	return Config{
		Sections:        AllSections,
		BasePort:        17001,
		MasterLogLevel:  "info",
		Duration:        5 * time.Second,
		ValueSize:       1024,
		FanOut:          16,
		WriteClients:    []int{1, 16, 64, 256},
		WriteModes:      []string{ModeRoundRobin, ModeFollowers},
		ReadClients:     []int{1, 64, 256},
		ReadKeys:        1000,
		WatchCounts:     []int{100, 1000},
		WatchRate:       500,
		WatchDuration:   10 * time.Second,
		WatchersPerConn: 10,
		WatchInFlight:   256,
		WatchDrain:      60 * time.Second,
		FailoverClients: 16,
		FailoverBefore:  3 * time.Second,
		FailoverAfter:   7 * time.Second,
		Out:             os.Stdout,
		Progress:        os.Stderr,
	}
}

// Quick shrinks c to a run of well under a minute: one second per level,
// fewer levels, 100 watchers for three seconds.
func (c *Config) Quick() {
	c.Duration = time.Second
	c.Count = 0
	c.WriteClients = []int{1, 64}
	c.WriteModes = []string{ModeRoundRobin}
	c.ReadClients = []int{64}
	c.WatchCounts = []int{100}
	c.WatchDuration = 3 * time.Second
	c.FailoverBefore, c.FailoverAfter = time.Second, 4*time.Second
}

// ErrConfig is wrapped by configuration errors.
var ErrConfig = errors.New("bench: invalid config")

func (c *Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...))
	}
	if len(c.Sections) == 0 {
		bad("no sections")
	}
	for _, s := range c.Sections {
		if !validSection(s) {
			bad("section %q: want one of %v", s, AllSections)
		}
	}
	if c.Duration <= 0 && c.Count <= 0 {
		bad("set a positive duration or count per level")
	}
	if c.ValueSize < 1 || c.ValueSize > 512<<10 {
		bad("value size %d: want 1 to 512 KiB", c.ValueSize)
	}
	if c.FanOut < 1 || c.WatchersPerConn < 1 || c.WatchInFlight < 1 {
		bad("clients per connection, watchers per connection and writes in flight must be positive")
	}
	for _, lv := range [][]int{c.WriteClients, c.ReadClients, c.WatchCounts} {
		for _, n := range lv {
			if n < 1 || n > 100_000 {
				bad("level %d: want 1 to 100000", n)
			}
		}
	}
	for _, m := range c.WriteModes {
		if m != ModeRoundRobin && m != ModeLeader && m != ModeFollowers {
			bad("write mode %q: want %s, %s or %s", m, ModeRoundRobin, ModeLeader, ModeFollowers)
		}
	}
	if c.has(SectionRead) && c.ReadKeys < 1 {
		bad("read keys must be positive")
	}
	if c.has(SectionWatch) && (c.WatchRate < 1 || c.WatchDuration <= 0) {
		bad("watch rate and duration must be positive")
	}
	if c.has(SectionFailover) && (c.FailoverClients < 1 || c.FailoverBefore <= 0 || c.FailoverAfter <= 0) {
		bad("failover clients and durations must be positive")
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return errors.Join(errs...)
}

func validSection(s Section) bool {
	for _, a := range AllSections {
		if s == a {
			return true
		}
	}
	return false
}

func (c *Config) has(s Section) bool {
	for _, x := range c.Sections {
		if x == s {
			return true
		}
	}
	return false
}
