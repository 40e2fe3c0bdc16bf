package nftables

import (
	"errors"
	"fmt"
	"time"
)

// Spread modes: how a service's connections are shared by its targets.
const (
	SpreadRandom     = "random"
	SpreadRoundRobin = "round-robin"
)

// Config configures the nftables dataplane.
type Config struct {
	// Table is the name of the ip-family table the dataplane owns; ""
	// means "gantry-proxy-" + the node name (so the proxies of several
	// nodes on one host, as `gantry up` runs them, own a table each).
	Table string
	// Spread is SpreadRandom (numgen random) or SpreadRoundRobin (numgen
	// inc).
	Spread string
	// MasqueradeMark is the packet mark bit that asks postrouting to
	// masquerade a connection (kube-proxy's 0x4000 by default); it must
	// be a single bit.
	MasqueradeMark uint32
	// NetNS is a network namespace to program instead of the proxy's own
	// (a path such as /var/run/netns/NAME; tests use it).
	NetNS string
	// SocketBuffer is the netlink socket buffer for one transaction and
	// its acknowledgements: a first sync of 10,000 endpoints sends a few
	// MiB and gets tens of thousands of acks back.
	SocketBuffer int
	// FlushConntrack deletes the UDP conntrack entries of endpoints that
	// leave, so that their clients pick a live endpoint (as kube-proxy
	// does). ConntrackTimeout bounds one flush.
	FlushConntrack   bool
	ConntrackTimeout time.Duration
}

// DefaultConfig returns random spread, mark 0x4000 and conntrack flushing.
func DefaultConfig() Config {
	return Config{
		Spread:           SpreadRandom,
		MasqueradeMark:   0x4000,
		SocketBuffer:     64 << 20,
		FlushConntrack:   true,
		ConntrackTimeout: 5 * time.Second,
	}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("nftables: invalid config")

// maxTableName is the kernel's NFT_TABLE_MAXNAMELEN less the NUL.
const maxTableName = 255

func (c *Config) validate() error {
	switch {
	case c.Table == "":
		return fmt.Errorf("%w: Table is required", ErrConfig)
	case len(c.Table) > maxTableName:
		return fmt.Errorf("%w: Table %q: must be no more than %d characters", ErrConfig, c.Table, maxTableName)
	case c.Spread != SpreadRandom && c.Spread != SpreadRoundRobin:
		return fmt.Errorf("%w: Spread %q: must be %s or %s", ErrConfig, c.Spread, SpreadRandom, SpreadRoundRobin)
	case c.MasqueradeMark == 0 || c.MasqueradeMark&(c.MasqueradeMark-1) != 0:
		return fmt.Errorf("%w: MasqueradeMark %#x: must be a single bit", ErrConfig, c.MasqueradeMark)
	case c.SocketBuffer < 1<<20 || c.SocketBuffer > 1<<30:
		return fmt.Errorf("%w: SocketBuffer %d not in [1Mi, 1Gi]", ErrConfig, c.SocketBuffer)
	case c.FlushConntrack && c.ConntrackTimeout <= 0:
		return fmt.Errorf("%w: ConntrackTimeout must be > 0", ErrConfig)
	}
	return nil
}

// TableName is the table a proxy for node owns under cfg.
func (c Config) TableName(node string) string {
	if c.Table != "" {
		return c.Table
	}
	n := "gantry-proxy-" + node
	if len(n) > maxTableName {
		n = n[:maxTableName]
	}
	return n
}
