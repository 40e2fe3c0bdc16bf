package dns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// Config configures the cluster DNS server.
type Config struct {
	// Zone is the cluster domain the server is authoritative for.
	Zone string
	// Listen are the host:port addresses served over UDP and TCP. A host
	// must be an IP literal, or a name Deps.Resolve knows (the proxy's
	// "bridge"); the unspecified addresses (0.0.0.0, ::) are refused, so
	// that the server never answers beyond the addresses it was given.
	Listen []string
	// Clients are the source prefixes allowed to query, besides loopback
	// and the subnets of resolved listen hosts; others are REFUSED.
	Clients []netip.Prefix
	// TTL is the TTL of every answer and of negative answers (the SOA
	// minimum).
	TTL time.Duration
	// Upstream is where names outside Zone go: a resolv.conf path (starting
	// with "/"; re-read when it changes), or host[:port] addresses. Empty:
	// such names are REFUSED.
	Upstream []string
	// UpstreamTimeout bounds one exchange with one upstream; each query
	// tries at most MaxUpstreamTries upstreams in order.
	UpstreamTimeout  time.Duration
	MaxUpstreamTries int
	// MaxUpstreamQueries bounds the forwarded queries in flight; beyond it
	// a forwarded query is answered SERVFAIL at once.
	MaxUpstreamQueries int
	// MaxQueries bounds the queries being answered at once (SERVFAIL
	// beyond). MaxTCPConns bounds open TCP connections (further ones wait
	// in the listen backlog); TCPIdleTimeout closes idle ones.
	MaxQueries     int
	MaxTCPConns    int
	TCPIdleTimeout time.Duration
	// MaxUDPSize caps UDP responses to clients that announce a larger
	// EDNS0 buffer (RFC 9715's 1232 avoids IP fragmentation); clients
	// without EDNS0 get at most 512 bytes. Larger answers are truncated
	// with TC set, and the client retries over TCP.
	MaxUDPSize int
}

// DefaultConfig returns the defaults of the proxy's --dns-* flags, with no
// listen address (the server is off until one is given).
func DefaultConfig() Config {
	return Config{
		Zone: "cluster.local", TTL: 5 * time.Second, Upstream: []string{"/etc/resolv.conf"},
		UpstreamTimeout: 2 * time.Second, MaxUpstreamTries: 3, MaxUpstreamQueries: 100,
		MaxQueries: 1000, MaxTCPConns: 100, TCPIdleTimeout: 8 * time.Second, MaxUDPSize: 1232,
	}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("dns: invalid config")

func (c *Config) validate() error {
	zone := strings.TrimSuffix(strings.ToLower(c.Zone), ".")
	if _, ok := mdns.IsDomainName(zone); !ok || zone == "" || strings.Count(zone, ".")+1 > 10 {
		return fmt.Errorf("%w: zone %q: must be a DNS name of 1 to 10 labels", ErrConfig, c.Zone)
	}
	c.Zone = zone
	if len(c.Listen) == 0 {
		return fmt.Errorf("%w: listen: at least one address is required", ErrConfig)
	}
	for _, l := range c.Listen {
		host, _, err := splitListen(l)
		if err != nil {
			return fmt.Errorf("%w: listen %q: %v", ErrConfig, l, err)
		}
		if a, err := netip.ParseAddr(host); err == nil && a.IsUnspecified() {
			return fmt.Errorf("%w: listen %q: the unspecified address would answer on every interface; give the node's or the bridge's address", ErrConfig, l)
		}
	}
	switch {
	case c.TTL < time.Second || c.TTL > time.Hour:
		return fmt.Errorf("%w: ttl %s not in [1s, 1h]", ErrConfig, c.TTL)
	case c.UpstreamTimeout <= 0 || c.UpstreamTimeout > time.Minute:
		return fmt.Errorf("%w: upstream timeout %s not in (0, 1m]", ErrConfig, c.UpstreamTimeout)
	case c.MaxUpstreamTries < 1 || c.MaxUpstreamTries > 10:
		return fmt.Errorf("%w: max upstream tries %d not in [1, 10]", ErrConfig, c.MaxUpstreamTries)
	case c.MaxUpstreamQueries < 1 || c.MaxQueries < 1 || c.MaxTCPConns < 1:
		return fmt.Errorf("%w: max upstream queries, max queries and max TCP connections must be positive", ErrConfig)
	case c.TCPIdleTimeout <= 0:
		return fmt.Errorf("%w: TCP idle timeout must be positive", ErrConfig)
	case c.MaxUDPSize < mdns.MinMsgSize || c.MaxUDPSize > mdns.MaxMsgSize:
		return fmt.Errorf("%w: max UDP size %d not in [%d, %d]", ErrConfig, c.MaxUDPSize, mdns.MinMsgSize, mdns.MaxMsgSize)
	}
	if _, err := parseUpstream(c.Upstream); err != nil {
		return fmt.Errorf("%w: upstream: %v", ErrConfig, err)
	}
	return nil
}

// splitListen splits host:port; the port must be a number (0 picks one).
func splitListen(addr string) (string, uint16, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		return "", 0, errors.New("a host is required")
	}
	p, err := parsePort(port)
	if err != nil {
		return "", 0, err
	}
	return host, p, nil
}

func parsePort(s string) (uint16, error) {
	var p uint64
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("port %q: must be a number in [0, 65535]", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q: must be a number in [0, 65535]", s)
		}
		p = p*10 + uint64(c-'0')
	}
	if p > 65535 {
		return 0, fmt.Errorf("port %q: must be a number in [0, 65535]", s)
	}
	return uint16(p), nil
}
