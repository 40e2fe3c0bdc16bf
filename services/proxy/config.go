package proxy

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/dataplane/nftables"
	"github.com/gantryio/gantry/services/proxy/dataplane/userspace"
	"github.com/gantryio/gantry/services/proxy/dns"
	"github.com/gantryio/gantry/services/proxy/ingress"
)

// Config configures a node's proxy.
type Config struct {
	// NodeName is the node this proxy serves (reported by Status).
	NodeName string
	// Mode is the dataplane: userspace, nftables, or auto (the first mode
	// of this build that can run here; see Modes).
	Mode string
	// Listen is the gRPC address (ProxyService, health, reflection);
	// HTTPListen serves /healthz and /metrics ("" turns HTTP off).
	Listen, HTTPListen string
	// MinSyncPeriod is the least time between two syncs: events arriving
	// meanwhile are coalesced into the next one.
	MinSyncPeriod time.Duration
	// RetryBackoff spaces retries after a failed apply.
	RetryBackoff client.Backoff
	// PageSize is the informers' list page size.
	PageSize int64
	// Userspace configures the userspace dataplane.
	Userspace userspace.Config
	// NFTables configures the nftables dataplane (its Table defaults to
	// gantry-proxy-<NodeName>).
	NFTables nftables.Config
	// DNS configures cluster DNS, served when DNS.Listen is set; a listen
	// host may be DNSBridgeHost (see clusterdns.go).
	DNS dns.Config
	// Ingress configures the ingress controller, run when one of its
	// listen addresses is set (DefaultConfig leaves both empty; the flags
	// of `gantry proxy` set them).
	Ingress ingress.Config
}

// DefaultConfig returns the defaults of `gantry proxy`.
func DefaultConfig() Config {
	return Config{
		Mode:          ModeAuto,
		Listen:        "127.0.0.1:10249",
		HTTPListen:    "127.0.0.1:10256",
		MinSyncPeriod: 100 * time.Millisecond,
		RetryBackoff:  client.Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, Jitter: 0.2},
		PageSize:      informer.DefaultConfig().PageSize,
		Userspace:     userspace.DefaultConfig(),
		NFTables:      nftables.DefaultConfig(),
		DNS:           dns.DefaultConfig(),
		Ingress:       ingressOff(),
	}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("proxy: invalid config")

func (c *Config) validate() error {
	switch {
	case c.NodeName == "":
		return fmt.Errorf("%w: NodeName is required", ErrConfig)
	case c.Listen == "":
		return fmt.Errorf("%w: Listen is required", ErrConfig)
	case c.MinSyncPeriod < 0 || c.MinSyncPeriod > time.Minute:
		return fmt.Errorf("%w: MinSyncPeriod %s not in [0, 1m]", ErrConfig, c.MinSyncPeriod)
	case c.RetryBackoff.Initial <= 0 || c.RetryBackoff.Max < c.RetryBackoff.Initial:
		return fmt.Errorf("%w: RetryBackoff needs 0 < Initial <= Max", ErrConfig)
	case c.PageSize < 0:
		return fmt.Errorf("%w: PageSize %d < 0", ErrConfig, c.PageSize)
	}
	return validDNSListen(c.DNS.Listen)
}

// Deps are the proxy's collaborators.
type Deps struct {
	// Client lists and watches Services and EndpointSlices (required);
	// *client.Client satisfies it.
	Client informer.ListWatcher
	// Dataplane, when set, is used instead of the one Mode names (tests).
	// The proxy closes it.
	Dataplane dataplane.Dataplane
}

// ingressOff is the ingress defaults without listen addresses: the
// package's other defaults, with the controller off until one is given.
func ingressOff() ingress.Config {
	c := ingress.DefaultConfig()
	c.HTTPListen, c.HTTPSListen = "", ""
	return c
}
