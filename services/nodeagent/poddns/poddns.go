package poddns

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
)

// Bridge, as a server, stands for the node's bridge address.
const Bridge = "bridge"

// Limits of a resolv.conf search line, as the kubelet enforces them.
const (
	maxSearches    = 32
	maxSearchChars = 2048
	maxServers     = 3
)

// ErrBridgeUnknown is wrapped when a sandbox needs the bridge address
// before the node has a pod CIDR.
var ErrBridgeUnknown = errors.New("cluster DNS: the node's bridge address is not known yet (no pod CIDR)")

// Config is the cluster's DNS as pods see it.
type Config struct {
	// Servers are nameserver IPs, or Bridge.
	Servers []string
	// Domain is the cluster domain ("cluster.local").
	Domain string
	// HostResolvConf is the host's resolv.conf, whose search domains
	// follow the cluster's ("": none).
	HostResolvConf string
}

// Validate checks the servers and the domain.
func (c Config) Validate() error {
	if len(c.Servers) == 0 || len(c.Servers) > maxServers {
		return fmt.Errorf("cluster DNS: %d servers, want 1 to %d", len(c.Servers), maxServers)
	}
	for _, s := range c.Servers {
		if _, err := netip.ParseAddr(s); err != nil && s != Bridge {
			return fmt.Errorf("cluster DNS server %q: want an IP address or %q", s, Bridge)
		}
	}
	d := strings.Trim(c.Domain, ".")
	if d == "" || strings.ContainsAny(d, " \t\n#;") || len(d) > 253 {
		return fmt.Errorf("cluster domain %q: want a DNS name", c.Domain)
	}
	return nil
}

// UsesBridge reports whether a server is the bridge address.
func (c Config) UsesBridge() bool {
	for _, s := range c.Servers {
		if s == Bridge {
			return true
		}
	}
	return false
}

// For returns the resolv.conf of a pod of namespace; bridge is the node's
// bridge address ("" when unknown).
func (c Config) For(namespace, bridge string, hostSearches []string) (*runtime.DNSConfig, error) {
	d := strings.Trim(c.Domain, ".")
	out := &runtime.DNSConfig{Options: []string{"ndots:5"},
		Searches: []string{namespace + ".svc." + d, "svc." + d, d}}
	for _, s := range c.Servers {
		if s == Bridge {
			if bridge == "" {
				return nil, ErrBridgeUnknown
			}
			s = bridge
		}
		out.Servers = append(out.Servers, s)
	}
	chars := len(strings.Join(out.Searches, " "))
	for _, s := range hostSearches {
		if len(out.Searches) == maxSearches || chars+1+len(s) > maxSearchChars {
			break
		}
		out.Searches = append(out.Searches, s)
		chars += 1 + len(s)
	}
	return out, nil
}

// HostSearches reads the search domains of a resolv.conf (the last search
// or domain line wins, as in glibc); a missing file has none.
func HostSearches(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "search", "domain":
			out = nil
			for _, s := range fields[1:] {
				if s = strings.Trim(s, "."); s != "" && !strings.ContainsAny(s, "#;") {
					out = append(out, s)
				}
			}
		}
	}
	return out, sc.Err()
}

// dnsRuntime gives sandboxes of pods off the host network the cluster's
// DNS config; everything else is the wrapped runtime's.
type dnsRuntime struct {
	runtime.Runtime
	cfg    Config
	bridge func() string
	log    *zap.Logger
}

// Wrap returns rt giving the sandboxes of pods that are not on the host
// network the cluster's DNS; bridge returns the node's bridge address
// ("" while unknown).
func Wrap(rt runtime.Runtime, cfg Config, bridge func() string, log *zap.Logger) runtime.Runtime {
	return &dnsRuntime{Runtime: rt, cfg: cfg, bridge: bridge, log: log}
}

func (r *dnsRuntime) RunSandbox(ctx context.Context, sc runtime.SandboxConfig) (*runtime.Sandbox, error) {
	if !sc.HostNetwork && sc.DNS == nil {
		searches, err := HostSearches(r.cfg.HostResolvConf)
		if err != nil {
			r.log.Warn("reading the host's search domains", zap.String("file", r.cfg.HostResolvConf), zap.Error(err))
		}
		if sc.DNS, err = r.cfg.For(sc.Namespace, r.bridge(), searches); err != nil {
			return nil, err
		}
	}
	return r.Runtime.RunSandbox(ctx, sc)
}
