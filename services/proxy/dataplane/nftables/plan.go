package nftables

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gantryio/gantry/services/proxy/table"
)

// svcAddr is a service-ips key: where a route's cluster IP answers.
type svcAddr struct {
	ip    netip.Addr
	proto byte
	port  uint16
}

// npAddr is a service-nodeports key.
type npAddr struct {
	proto byte
	port  uint16
}

// plan is how one route is carried: the kernel objects it owns follow from
// it alone (see objects), so comparing two plans gives the operations
// between them.
type plan struct {
	key table.PortKey
	// ok: the route is carried; otherwise err says why not, and it owns
	// nothing in the kernel.
	ok  bool
	err string
	// blocked: not carried because another route holds its address or
	// node port (it is planned again on every Apply).
	blocked bool
	svc     svcAddr
	// np is the node port (port 0: none).
	np npAddr
	// targets are the IPv4 targets, in the route's order.
	targets []netip.AddrPort
	// route is the route the plan was made from (for RouteStatus).
	route *table.Route
	// Chain names, set when ok (eps parallel to targets).
	svcChain, extChain string
	epChains           []string
}

// hasTargets: the route DNATs (else it rejects).
func (p *plan) hasTargets() bool { return p != nil && p.ok && len(p.targets) > 0 }

// hasExt: the route has a node port chain.
func (p *plan) hasExt() bool { return p.hasTargets() && p.np.port != 0 }

// newPlan works out how r would be carried, before conflicts are checked.
func newPlan(r *table.Route) *plan {
	p := &plan{key: r.Key, route: r}
	proto := protoNumber(r.Key.Protocol)
	switch {
	case proto == 0:
		p.err = fmt.Sprintf("protocol %q is not carried in nftables mode", r.Key.Protocol)
		return p
	case !r.ClusterIP.Unmap().Is4():
		p.err = fmt.Sprintf("cluster IP %s: only IPv4 is carried in nftables mode", r.ClusterIP)
		return p
	}
	p.ok = true
	p.svc = svcAddr{ip: r.ClusterIP.Unmap(), proto: proto, port: r.Port}
	if r.NodePort != 0 {
		p.np = npAddr{proto: proto, port: r.NodePort}
	}
	skipped := 0
	p.targets = make([]netip.AddrPort, 0, len(r.Targets))
	for _, e := range r.Targets {
		a := netip.AddrPortFrom(e.Addr.Addr().Unmap(), e.Addr.Port())
		if !a.Addr().Is4() || slices.Contains(p.targets, a) {
			skipped++
			continue
		}
		p.targets = append(p.targets, a)
	}
	var errs []string
	if skipped > 0 {
		errs = append(errs, fmt.Sprintf("%d endpoint(s) not IPv4 or repeated, not carried", skipped))
	}
	if r.SessionAffinity == "ClientIP" {
		errs = append(errs, "sessionAffinity ClientIP is not carried in nftables mode: connections spread")
	}
	p.err = strings.Join(errs, "; ")
	if len(p.targets) > 0 {
		p.svcChain = serviceChain(r.Key)
		if p.np.port != 0 {
			p.extChain = externalChain(r.Key)
		}
		p.epChains = make([]string, len(p.targets))
		for i, t := range p.targets {
			p.epChains[i] = endpointChain(r.Key, t)
		}
	}
	return p
}

// conflict turns p into a plan that carries nothing.
func (p *plan) conflict(why string) {
	*p = plan{key: p.key, route: p.route, err: why}
}

// sameSpread reports whether two plans program the same service chain.
func sameSpread(a, b *plan) bool {
	return a.hasTargets() && b.hasTargets() && a.svcChain == b.svcChain && slices.Equal(a.targets, b.targets)
}

// chains lists the chains p owns: endpoint chains, then the service chain
// and the node port chain (the order they are created in).
func (p *plan) chains() []string {
	if !p.hasTargets() {
		return nil
	}
	out := append(make([]string, 0, len(p.epChains)+2), p.epChains...)
	out = append(out, p.svcChain)
	if p.extChain != "" {
		out = append(out, p.extChain)
	}
	return out
}

func (a svcAddr) String() string {
	return fmt.Sprintf("%s:%d/%s", a.ip, a.port, protoName(a.proto))
}

func (a npAddr) String() string {
	return fmt.Sprintf("node port %d/%s", a.port, protoName(a.proto))
}

func protoName(p byte) string {
	switch p {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 132:
		return "SCTP"
	}
	return fmt.Sprint(p)
}
