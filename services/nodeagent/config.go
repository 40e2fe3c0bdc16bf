package nodeagent

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Network modes.
const (
	NetworkAuto = "auto" // pod networking when root and the CNI plugins are installed
	NetworkPod  = "pod"  // each pod its own network namespace and IP (root)
	NetworkHost = "host" // pods share the host network
)

// Config configures a node agent.
type Config struct {
	// Servers are the apiservers; empty reads the client config file.
	Servers []string
	// Name is the node's name (with Simulate: unused, see NamePrefix).
	Name string
	// Labels are added to the node's labels.
	Labels map[string]string
	// Runtime is "process" or "simulated".
	Runtime string
	// DataDir holds pod state, logs and network state (process runtime).
	DataDir string
	// Listen is the gRPC address of NodeAgentService; HTTPListen serves
	// /healthz and /metrics (empty: off).
	Listen, HTTPListen string
	// NodeIP is the node's InternalIP and the pods' hostIP.
	NodeIP string
	// CPU and Memory override the detected capacity; MaxPods is the pods
	// capacity.
	CPU, Memory string
	MaxPods     int
	// Network is auto, pod or host.
	Network string
	// PodCIDR is set on the Node when it has none (without a controller
	// that allocates them); ClusterCIDR is what pod routes cover.
	PodCIDR, ClusterCIDR string
	// CNIPluginDirs are searched for the bridge, host-local and loopback
	// plugins.
	CNIPluginDirs []string
	// ClusterDNS are the nameservers of pods off the host network (IPs, or
	// "bridge": the node's bridge address, where the node's proxy serves
	// DNS); empty: pods keep the host's resolv.conf. ClusterDomain is the
	// cluster domain their search list starts with; ResolvConf is the
	// host's resolv.conf, whose search domains follow (see poddns).
	ClusterDNS                []string
	ClusterDomain, ResolvConf string
	// LeaseDuration and LeaseRenewInterval tune the node lease.
	LeaseDuration, LeaseRenewInterval time.Duration
	// HeartbeatInterval is how often an unchanged node status is written.
	HeartbeatInterval time.Duration
	// StatusInterval is the least time between two pod status flushes.
	StatusInterval time.Duration
	// BackoffInitial and BackoffMax bound container restart back-off.
	BackoffInitial, BackoffMax time.Duration
	// LogMaxBytes caps each container log file.
	LogMaxBytes int64
	// StopPodsOnExit stops every pod and removes the node's network when
	// the agent stops (by default pods keep running and are adopted by the
	// next agent).
	StopPodsOnExit bool
	// Simulate, when positive, plays that many hollow nodes named
	// NamePrefix0, NamePrefix1, ... with the simulated runtime.
	Simulate   int
	NamePrefix string
	// Version is reported as the node's kubeletVersion.
	Version string
	// Clock drives leases, heartbeats and back-off (tests inject one).
	Clock clock.WithTicker
}

// DefaultConfig returns the defaults without a name.
func DefaultConfig() Config {
	return Config{
		Runtime: "process", Listen: "127.0.0.1:10250", HTTPListen: "127.0.0.1:10255", NodeIP: "127.0.0.1",
		MaxPods: 110, Network: NetworkAuto, ClusterCIDR: "10.244.0.0/16",
		CNIPluginDirs: []string{"/usr/lib/cni", "/opt/cni/bin"},
		ClusterDomain: "cluster.local", ResolvConf: "/etc/resolv.conf",
		LeaseDuration: 40 * time.Second, LeaseRenewInterval: 10 * time.Second, HeartbeatInterval: 40 * time.Second,
		StatusInterval: 100 * time.Millisecond, BackoffInitial: 10 * time.Second, BackoffMax: 5 * time.Minute,
		LogMaxBytes: 10 << 20, NamePrefix: "sim-", Version: "dev", Clock: clock.RealClock{},
	}
}

// ErrConfig is wrapped by configuration errors.
var ErrConfig = errors.New("nodeagent: invalid config")

func (c *Config) validate() error {
	switch {
	case c.Simulate == 0 && c.Name == "":
		return fmt.Errorf("%w: --name is required", ErrConfig)
	case c.Simulate < 0:
		return fmt.Errorf("%w: --simulate %d < 0", ErrConfig, c.Simulate)
	case c.Runtime != "process" && c.Runtime != "simulated":
		return fmt.Errorf("%w: --runtime %q: want process or simulated", ErrConfig, c.Runtime)
	case c.Runtime == "process" && c.Simulate == 0 && c.DataDir == "":
		return fmt.Errorf("%w: --data-dir is required with the process runtime", ErrConfig)
	case c.Network != NetworkAuto && c.Network != NetworkPod && c.Network != NetworkHost:
		return fmt.Errorf("%w: --network %q: want auto, pod or host", ErrConfig, c.Network)
	case c.MaxPods <= 0:
		return fmt.Errorf("%w: --max-pods must be positive", ErrConfig)
	}
	if len(c.ClusterDNS) > 0 {
		if err := c.podDNS().Validate(); err != nil {
			return fmt.Errorf("%w: --cluster-dns, --cluster-domain: %v", ErrConfig, err)
		}
	}
	if c.Simulate > 0 {
		c.Runtime = "simulated"
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return nil
}
