package dns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"go.uber.org/zap"
)

// resolvConfRecheck is the least time between two looks at a resolv.conf
// upstream: hosts rewrite it (DHCP, VPNs), and a stat per query is waste.
const resolvConfRecheck = 2 * time.Second

// upstreamSpec is Config.Upstream parsed: one resolv.conf or addresses.
type upstreamSpec struct {
	file  string
	addrs []netip.AddrPort
}

// parseUpstream parses Config.Upstream: a single resolv.conf path, or IP
// addresses with optional ports (53 by default). Host names are refused:
// resolving them would need the very resolver being configured.
func parseUpstream(in []string) (upstreamSpec, error) {
	var s upstreamSpec
	for _, u := range in {
		u = strings.TrimSpace(u)
		switch {
		case u == "":
			continue
		case strings.HasPrefix(u, "/"):
			if s.file != "" || len(s.addrs) > 0 {
				return s, fmt.Errorf("%q: a resolv.conf path must be the only upstream", u)
			}
			s.file = u
			continue
		case s.file != "":
			return s, fmt.Errorf("%q: a resolv.conf path must be the only upstream", u)
		}
		ap, err := parseHostPort(u)
		if err != nil {
			return s, fmt.Errorf("%q: %v", u, err)
		}
		s.addrs = append(s.addrs, ap)
	}
	return s, nil
}

// parseHostPort parses IP, [IPv6]:port or IPv4:port.
func parseHostPort(u string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(u); err == nil {
		return netip.AddrPortFrom(a, 53), nil
	}
	host, port, err := net.SplitHostPort(u)
	if err != nil {
		return netip.AddrPort{}, errors.New("want an IP address, optionally with :port")
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, errors.New("the host must be an IP address")
	}
	p, err := parsePort(port)
	if err != nil || p == 0 {
		return netip.AddrPort{}, fmt.Errorf("port %q: must be a number in [1, 65535]", port)
	}
	return netip.AddrPortFrom(a, p), nil
}

// upstreams hands out the current upstream servers, never the server's
// own addresses (a resolv.conf naming the node's DNS would loop).
type upstreams struct {
	spec upstreamSpec
	log  *zap.Logger

	mu       sync.Mutex
	self     map[netip.AddrPort]bool
	checked  time.Time
	modTime  time.Time
	size     int64
	fromFile []netip.AddrPort
}

func newUpstreams(spec upstreamSpec, log *zap.Logger) *upstreams {
	return &upstreams{spec: spec, log: log, self: map[netip.AddrPort]bool{}}
}

// enabled reports whether names outside the zone are forwarded at all.
func (u *upstreams) enabled() bool { return u.spec.file != "" || len(u.spec.addrs) > 0 }

// exclude adds one of the server's own addresses.
func (u *upstreams) exclude(a netip.AddrPort) {
	u.mu.Lock()
	u.self[netip.AddrPortFrom(a.Addr().Unmap(), a.Port())] = true
	u.mu.Unlock()
}

// get returns the servers to try, in order.
func (u *upstreams) get() []netip.AddrPort {
	u.mu.Lock()
	defer u.mu.Unlock()
	list := u.spec.addrs
	if u.spec.file != "" {
		u.refresh()
		list = u.fromFile
	}
	out := make([]netip.AddrPort, 0, len(list))
	for _, a := range list {
		if !u.self[a] {
			out = append(out, a)
		}
	}
	return out
}

// refresh re-reads the resolv.conf when it changed; u.mu is held. A file
// that cannot be read keeps the last servers read from it.
func (u *upstreams) refresh() {
	now := time.Now()
	if !u.checked.IsZero() && now.Sub(u.checked) < resolvConfRecheck {
		return
	}
	u.checked = now
	fi, err := os.Stat(u.spec.file)
	if err == nil && fi.ModTime().Equal(u.modTime) && fi.Size() == u.size {
		return
	}
	var cc *mdns.ClientConfig
	if err == nil {
		cc, err = mdns.ClientConfigFromFile(u.spec.file)
	}
	if err != nil {
		u.log.Warn("reading upstream resolvers", zap.String("file", u.spec.file), zap.Error(err))
		return
	}
	port, err := parsePort(cc.Port)
	if err != nil || port == 0 {
		port = 53
	}
	var servers []netip.AddrPort
	for _, s := range cc.Servers {
		if a, err := netip.ParseAddr(s); err == nil {
			servers = append(servers, netip.AddrPortFrom(a.Unmap(), port))
		}
	}
	u.modTime, u.size, u.fromFile = fi.ModTime(), fi.Size(), servers
	u.log.Info("upstream resolvers", zap.String("file", u.spec.file), zap.Stringers("servers", servers))
}
