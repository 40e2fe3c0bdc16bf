package userspace

import (
	"net/netip"
	"sync/atomic"
)

// balancer hands out a route's targets round robin. Targets are swapped
// whole by the route's updater; pickers never lock.
type balancer struct {
	targets atomic.Pointer[[]netip.AddrPort]
	next    atomic.Uint64
}

func (b *balancer) set(t []netip.AddrPort) { b.targets.Store(&t) }

// order returns every target, starting at the next one in round-robin
// order: the first to dial, then the ones to try if it fails.
func (b *balancer) order() []netip.AddrPort {
	p := b.targets.Load()
	if p == nil || len(*p) == 0 {
		return nil
	}
	t := *p
	start := int((b.next.Add(1) - 1) % uint64(len(t)))
	out := make([]netip.AddrPort, 0, len(t))
	out = append(out, t[start:]...)
	return append(out, t[:start]...)
}

func (b *balancer) empty() bool {
	p := b.targets.Load()
	return p == nil || len(*p) == 0
}
