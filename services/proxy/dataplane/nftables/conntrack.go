package nftables

import (
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// conntrack deletes UDP conntrack entries. UDP has no connection to end:
// a client that keeps sending to a service keeps its entry, and with it
// the endpoint the first datagram was DNATed to, even after the endpoint
// left; and datagrams sent while a service had no endpoints may have left
// entries that were never DNATed. Deleting them makes the next datagram
// take the rules afresh (kube-proxy does the same).
type conntrack struct {
	h *netlink.Handle
}

func newConntrack(ns *os.File, timeout time.Duration) (*conntrack, error) {
	var h *netlink.Handle
	var err error
	if ns != nil {
		h, err = netlink.NewHandleAt(netns.NsHandle(ns.Fd()), unix.NETLINK_NETFILTER)
	} else {
		h, err = netlink.NewHandle(unix.NETLINK_NETFILTER)
	}
	if err != nil {
		return nil, fmt.Errorf("nftables: conntrack netlink: %w", err)
	}
	if err := h.SetSocketTimeout(timeout); err != nil {
		h.Close()
		return nil, fmt.Errorf("nftables: conntrack netlink: %w", err)
	}
	return &conntrack{h: h}, nil
}

func (c *conntrack) close() { c.h.Close() }

// udpFilter matches the UDP entries to delete.
type udpFilter struct {
	// gone are endpoints that left a route: entries DNATed to them.
	gone map[netip.AddrPort]bool
	// fresh are service addresses that got endpoints, and freshNP node
	// ports that did: entries sent to them.
	fresh   map[netip.AddrPort]bool
	freshNP map[uint16]bool
}

func (f *udpFilter) empty() bool { return len(f.gone)+len(f.fresh)+len(f.freshNP) == 0 }

// MatchConntrackFlow implements netlink.CustomConntrackFilter.
func (f *udpFilter) MatchConntrackFlow(fl *netlink.ConntrackFlow) bool {
	if fl.Forward.Protocol != unix.IPPROTO_UDP {
		return false
	}
	dst, _ := netip.AddrFromSlice(fl.Forward.DstIP)
	reply, _ := netip.AddrFromSlice(fl.Reverse.SrcIP)
	dst, reply = dst.Unmap(), reply.Unmap()
	if dst != reply && f.gone[netip.AddrPortFrom(reply, fl.Reverse.SrcPort)] {
		return true
	}
	return f.fresh[netip.AddrPortFrom(dst, fl.Forward.DstPort)] || f.freshNP[fl.Forward.DstPort]
}

// flushConntrack deletes the UDP entries the steps made stale. Failures
// are logged, not returned: the rules are carried either way.
func (d *Dataplane) flushConntrack(steps []step) {
	f := &udpFilter{gone: map[netip.AddrPort]bool{}, fresh: map[netip.AddrPort]bool{}, freshNP: map[uint16]bool{}}
	for _, s := range steps {
		o, n := s.old, s.new
		if o.hasTargets() && o.svc.proto == unix.IPPROTO_UDP {
			for _, t := range o.targets {
				if !n.hasTargets() || n.svc.proto != unix.IPPROTO_UDP {
					f.gone[t] = true
					continue
				}
				found := false
				for _, nt := range n.targets {
					if nt == t {
						found = true
						break
					}
				}
				if !found {
					f.gone[t] = true
				}
			}
		}
		if n.hasTargets() && n.svc.proto == unix.IPPROTO_UDP && (!o.hasTargets() || o.svc != n.svc || o.np != n.np) {
			f.fresh[netip.AddrPortFrom(n.svc.ip, n.svc.port)] = true
			if n.np.port != 0 {
				f.freshNP[n.np.port] = true
			}
		}
	}
	if f.empty() {
		return
	}
	start := time.Now()
	n, err := d.ct.h.ConntrackDeleteFilters(netlink.ConntrackTable, netlink.FAMILY_V4, f)
	d.m.ctDeleted.Add(float64(n))
	if err != nil {
		d.m.ctErrors.Inc()
		d.log.Warn("deleting stale UDP conntrack entries", zap.Error(err))
		return
	}
	d.log.Debug("deleted stale UDP conntrack entries", zap.Uint("entries", n), zap.Duration("took", time.Since(start)))
}
