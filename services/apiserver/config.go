package apiserver

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/gantryio/gantry/services/apiserver/api"
	"github.com/gantryio/gantry/services/apiserver/eventgc"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/gantryio/gantry/services/apiserver/watch"
)

// Config configures one master.
type Config struct {
	ID      string
	DataDir string
	// Listen is the gRPC address; Advertise the address other masters and
	// clients use to reach it (defaults to Listen).
	Listen, Advertise string
	// RaftListen is the Raft peer address.
	RaftListen string
	// HTTPListen serves /healthz, /readyz and /metrics ("" disables).
	HTTPListen string
	// Profiling also serves Go's runtime profiles (net/http/pprof) under
	// /debug/pprof/ on HTTPListen. On by default, as kube-apiserver's
	// --profiling is: the HTTP port listens on loopback unless told
	// otherwise, and profiles cost nothing until someone asks for one.
	// Turn it off when HTTPListen is reachable by people who should not
	// see stacks, command lines or heap contents.
	Profiling bool
	// InitialCluster bootstraps a new cluster ("m1=host:port,..."); Join
	// instead names masters of a running cluster to join through.
	InitialCluster map[string]string
	Join           []string

	Raft  raftnode.Config
	Store store.Config
	Watch watch.Config
	API   api.Config
	// EventGC expires Events (by age and number); the leader enforces it.
	EventGC eventgc.Config
}

// DefaultConfig returns the defaults for everything but identity and addresses.
func DefaultConfig() Config {
	return Config{Profiling: true, Raft: raftnode.DefaultConfig(), Store: store.DefaultConfig(), Watch: watch.DefaultConfig(), API: api.DefaultConfig(),
		EventGC: eventgc.DefaultConfig()}
}

// Validate reports every problem with the config at once.
func (c Config) Validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("--id is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required"))
	}
	for name, addr := range map[string]string{"--listen": c.Listen, "--raft-listen": c.RaftListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port", name, addr))
		}
	}
	if err := c.EventGC.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(c.InitialCluster) > 0 && len(c.Join) > 0 {
		errs = append(errs, errors.New("--initial-cluster and --join are exclusive: bootstrap a new cluster or join one"))
	}
	return errors.Join(errs...)
}

// ParseInitialCluster parses "m1=127.0.0.1:7101,m2=...".
func ParseInitialCluster(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		id, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || id == "" || addr == "" {
			return nil, fmt.Errorf("--initial-cluster entry %q: want id=host:port", part)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("--initial-cluster: member %q listed twice", id)
		}
		out[id] = addr
	}
	return out, nil
}
