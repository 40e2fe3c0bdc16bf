package userspace

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap"
)

// frontend is a socket that serves a route: a TCP listener or a UDP relay.
type frontend interface {
	addr() netip.AddrPort
	// setServing pauses (false) or resumes (true) taking new connections.
	setServing(bool)
	close()
}

// route carries one table.Route: its frontends, its balancer and the
// connections it relays, by target.
type route struct {
	d   *Dataplane
	key table.PortKey
	bal balancer

	// cur, svc, node and errMsg are owned by the Dataplane's lock (Apply).
	cur    *table.Route
	svc    frontend // on the service port (or a picked one)
	node   frontend // on the node port
	errMsg string

	mu      sync.Mutex
	targets map[netip.AddrPort]bool
	conns   map[netip.AddrPort]map[closer]struct{}
	closed  bool
}

// closer is a relayed connection or UDP session.
type closer interface{ close() }

func newRoute(d *Dataplane, k table.PortKey) *route {
	return &route{d: d, key: k, targets: map[netip.AddrPort]bool{}, conns: map[netip.AddrPort]map[closer]struct{}{}}
}

// update makes the route carry r: sockets for changed ports, then targets.
func (rt *route) update(r *table.Route) error {
	if r.Key.Protocol != table.TCP && r.Key.Protocol != table.UDP {
		rt.closeFrontends()
		rt.cur, rt.errMsg = r, fmt.Sprintf("userspace mode does not carry %s", r.Key.Protocol)
		return nil
	}
	var errs []error
	if rt.svc == nil || rt.cur == nil || rt.cur.Port != r.Port {
		rt.closeService()
		if err := rt.openService(r.Port); err != nil {
			errs = append(errs, fmt.Errorf("service port: %w", err))
		}
	}
	wantNode := r.NodePort != 0 && rt.d.npAddr.IsValid()
	if rt.node != nil && (!wantNode || rt.node.addr().Port() != r.NodePort) {
		rt.node.close()
		rt.node = nil
	}
	if wantNode && rt.node == nil {
		if err := rt.openNode(r.NodePort); err != nil {
			errs = append(errs, fmt.Errorf("node port %d: %w", r.NodePort, err))
		}
	}
	rt.cur, rt.errMsg = r, ""
	if len(errs) > 0 {
		rt.errMsg = errors.Join(errs...).Error()
	}
	rt.setTargets(r.TargetAddrs(), draining(r))
	return errors.Join(errs...)
}

// openService binds the service port on the dataplane's address if this
// route may claim it and it is free, else a port the kernel picks.
func (rt *route) openService(port uint16) error {
	d := rt.d
	c := claim{proto: rt.key.Protocol, port: port}
	var s socket
	var err error
	if d.claimPort(c, rt.key) {
		if s, err = bind(rt.key.Protocol, d.addr, port, false); err != nil {
			d.releasePort(c, rt.key)
			d.log.Info("service port taken, serving on a picked port",
				zap.Stringer("route", rt.key), zap.Uint16("port", port), zap.Error(err))
		}
	}
	if s.tcp == nil && s.udp == nil {
		if s, err = bindAny(rt.key.Protocol, d.addr); err != nil {
			return err
		}
	}
	rt.svc = rt.startFrontend(s)
	return nil
}

// openNode binds the node port, shared with other proxies on the host.
func (rt *route) openNode(port uint16) error {
	s, err := bind(rt.key.Protocol, rt.d.npAddr, port, true)
	if err != nil {
		return err
	}
	rt.node = rt.startFrontend(s)
	return nil
}

func (rt *route) startFrontend(s socket) frontend {
	var f frontend
	if s.tcp != nil {
		f = newTCPFrontend(rt, s)
	} else {
		f = newUDPFrontend(rt, s)
	}
	f.setServing(!rt.bal.empty())
	return f
}

func (rt *route) closeService() {
	if rt.svc == nil {
		return
	}
	a := rt.svc.addr()
	rt.svc.close()
	rt.svc = nil
	rt.d.releasePort(claim{proto: rt.key.Protocol, port: a.Port()}, rt.key)
}

func (rt *route) closeFrontends() {
	rt.closeService()
	if rt.node != nil {
		rt.node.close()
		rt.node = nil
	}
}

// draining returns the endpoints whose existing connections live on
// although they take no new ones: serving but terminating, as a pod that
// drains its connections during a rollout.
func draining(r *table.Route) map[netip.AddrPort]bool {
	var out map[netip.AddrPort]bool
	for _, e := range r.Endpoints {
		if e.Serving && !e.Ready {
			if out == nil {
				out = map[netip.AddrPort]bool{}
			}
			out[e.Addr] = true
		}
	}
	return out
}

// setTargets swaps the balancer's targets, ends the connections to
// endpoints that are neither targets nor draining, and pauses or resumes
// the frontends.
func (rt *route) setTargets(ts []netip.AddrPort, drain map[netip.AddrPort]bool) {
	rt.mu.Lock()
	next := make(map[netip.AddrPort]bool, len(ts))
	for _, t := range ts {
		next[t] = true
	}
	var doomed []closer
	for t, set := range rt.conns {
		if !next[t] && !drain[t] {
			for c := range set {
				doomed = append(doomed, c)
			}
		}
	}
	rt.targets = next
	rt.bal.set(ts)
	rt.mu.Unlock()
	for _, c := range doomed {
		c.close()
	}
	for _, f := range []frontend{rt.svc, rt.node} {
		if f != nil {
			f.setServing(len(ts) > 0)
		}
	}
}

// track registers a connection to target; it fails when the target left
// the route (or the route closed) since the connection picked it.
func (rt *route) track(target netip.AddrPort, c closer) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed || !rt.targets[target] {
		return false
	}
	set := rt.conns[target]
	if set == nil {
		set = map[closer]struct{}{}
		rt.conns[target] = set
	}
	set[c] = struct{}{}
	return true
}

func (rt *route) untrack(target netip.AddrPort, c closer) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if set := rt.conns[target]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(rt.conns, target)
		}
	}
}

// close stops the route: frontends first, then every connection.
func (rt *route) close() {
	rt.closeFrontends()
	rt.mu.Lock()
	rt.closed = true
	rt.targets = map[netip.AddrPort]bool{}
	var doomed []closer
	for _, set := range rt.conns {
		for c := range set {
			doomed = append(doomed, c)
		}
	}
	rt.mu.Unlock()
	rt.bal.set(nil)
	for _, c := range doomed {
		c.close()
	}
}

func (rt *route) status() dataplane.RouteStatus {
	st := dataplane.RouteStatus{Error: rt.errMsg}
	for _, f := range []frontend{rt.svc, rt.node} {
		if f != nil {
			st.Listen = append(st.Listen, f.addr().String())
		}
	}
	return st
}
