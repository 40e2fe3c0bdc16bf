package table

import (
	"net/netip"
	"slices"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// portEndpoints collects the endpoints of one service port from its
// service's slices: sorted by address, each address:port once.
func portEndpoints(k PortKey, sls []*gantryv1.EndpointSlice) []Endpoint {
	n := 0
	for _, sl := range sls {
		n += len(sl.GetEndpoints())
	}
	out := make([]Endpoint, 0, n)
	for _, sl := range sls {
		port, ok := slicePort(sl, k)
		if !ok {
			continue
		}
		for _, ep := range sl.GetEndpoints() {
			if e, ok := endpoint(ep, port); ok {
				out = append(out, e)
			}
		}
	}
	return dedupe(out)
}

// slicePort finds the slice's port for k: same name, same protocol.
func slicePort(sl *gantryv1.EndpointSlice, k PortKey) (uint16, bool) {
	for _, p := range sl.GetPorts() {
		proto := Protocol(p.GetProtocol())
		if proto == "" {
			proto = TCP
		}
		if p.GetName() == k.Port && proto == k.Protocol && validPort(p.GetPort()) {
			return uint16(p.GetPort()), true
		}
	}
	return 0, false
}

// addressEndpoints collects every address of the slices (port 0), for
// headless services, whose DNS answers are addresses whatever the port.
func addressEndpoints(sls []*gantryv1.EndpointSlice) []Endpoint {
	var out []Endpoint
	for _, sl := range sls {
		for _, ep := range sl.GetEndpoints() {
			if e, ok := endpoint(ep, 0); ok {
				out = append(out, e)
			}
		}
	}
	return dedupe(out)
}

// endpoint converts one slice endpoint, with the API's condition defaults.
func endpoint(ep *gantryv1.Endpoint, port uint16) (Endpoint, bool) {
	addrs := ep.GetAddresses()
	if len(addrs) == 0 {
		return Endpoint{}, false
	}
	a, err := netip.ParseAddr(addrs[0])
	if err != nil || a.Zone() != "" {
		return Endpoint{}, false
	}
	c := ep.GetConditions()
	terminating := c != nil && c.Terminating != nil && *c.Terminating
	ready := c == nil || c.Ready == nil || *c.Ready
	serving := ready
	if c != nil && c.Serving != nil {
		serving = *c.Serving
	}
	return Endpoint{
		Addr:  netip.AddrPortFrom(a.Unmap(), port),
		Ready: ready && !terminating, Serving: serving, Terminating: terminating,
		Node: ep.GetNodeName(), Hostname: ep.GetHostname(), Target: ep.GetTargetRef().GetName(),
	}, true
}

// dedupe sorts by address and keeps, of equal addresses, the one with the
// best conditions (then the first in slice order, for determinism).
func dedupe(eps []Endpoint) []Endpoint {
	if len(eps) < 2 {
		return eps
	}
	slices.SortStableFunc(eps, func(a, b Endpoint) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return rank(b) - rank(a)
	})
	return slices.CompactFunc(eps, func(a, b Endpoint) bool { return a.Addr == b.Addr })
}

func rank(e Endpoint) int {
	r := 0
	if e.Ready {
		r += 4
	}
	if e.Serving {
		r += 2
	}
	if !e.Terminating {
		r++
	}
	return r
}

// targets applies the traffic rule: the ready endpoints, else the serving
// terminating ones, else none. When every endpoint is ready (the common
// case) it shares eps, which is as immutable as the result.
func targets(eps []Endpoint) []Endpoint {
	nReady := 0
	for _, e := range eps {
		if e.Ready {
			nReady++
		}
	}
	if nReady == len(eps) {
		return eps
	}
	var ready, fallback []Endpoint
	if nReady > 0 {
		ready = make([]Endpoint, 0, nReady)
	}
	for _, e := range eps {
		switch {
		case e.Ready:
			ready = append(ready, e)
		case e.Serving && e.Terminating:
			fallback = append(fallback, e)
		}
	}
	if len(ready) > 0 {
		return ready
	}
	return fallback
}
