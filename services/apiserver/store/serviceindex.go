package store

import (
	"net/netip"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/apiserver/servicenet"
)

// serviceIndex knows which cluster IPs and node ports the stored Services
// hold. It is derived from the Service table alone — kept in step by the
// table's onChange, rebuilt from the table on restore — so snapshots need
// nothing extra and every master's index is the same.
type serviceIndex struct {
	// ips and ports map every address and node port a Service holds,
	// in any range, to the Service's key.
	ips   map[netip.Addr]string
	ports map[int32]string

	// The bitmaps index the ranges last used for allocation (the leader's
	// flags); they are rebuilt from the maps when the ranges change.
	ipRange   servicenet.IPRange
	ipBits    *servicenet.Bitmap
	portRange servicenet.PortRange
	portBits  *servicenet.Bitmap
}

// newServiceIndex indexes the Services in t and keeps following t.
func newServiceIndex(t *table) *serviceIndex {
	x := &serviceIndex{ips: map[netip.Addr]string{}, ports: map[int32]string{}}
	// Key order decides who keeps a duplicate: there should be none, but
	// a restore must not depend on it.
	t.scan("", "", func(r record) bool {
		x.add(r.key, r.obj.GetService().GetSpec())
		return true
	})
	x.useRanges(servicenet.Default())
	t.onChange = x.track
	return x
}

func (x *serviceIndex) track(key string, old, cur *gantryv1.Object) {
	x.release(key, old.GetService().GetSpec())
	x.add(key, cur.GetService().GetSpec())
}

func (x *serviceIndex) add(key string, spec *gantryv1.ServiceSpec) {
	if a, ok := clusterIPOf(spec); ok {
		if _, taken := x.ips[a]; !taken {
			x.ips[a] = key
			if x.ipBits != nil {
				if i, in := x.ipRange.Index(a); in {
					x.ipBits.Set(i)
				}
			}
		}
	}
	for _, p := range spec.GetPorts() {
		np := p.GetNodePort()
		if _, taken := x.ports[np]; np == 0 || taken {
			continue
		}
		x.ports[np] = key
		if x.portBits != nil && x.portRange.Contains(np) {
			x.portBits.Set(int(np - x.portRange.First))
		}
	}
}

func (x *serviceIndex) release(key string, spec *gantryv1.ServiceSpec) {
	if a, ok := clusterIPOf(spec); ok && x.ips[a] == key {
		delete(x.ips, a)
		if i, in := x.ipRange.Index(a); in && i != servicenet.Reserved && x.ipBits != nil {
			x.ipBits.Clear(i)
		}
	}
	for _, p := range spec.GetPorts() {
		np := p.GetNodePort()
		if np == 0 || x.ports[np] != key {
			continue
		}
		delete(x.ports, np)
		if x.portBits != nil && x.portRange.Contains(np) {
			x.portBits.Clear(int(np - x.portRange.First))
		}
	}
}

// useRanges points the bitmaps at r, rebuilding them from the maps when r
// differs from the ranges they index (a new leader with other flags).
func (x *serviceIndex) useRanges(r servicenet.Ranges) {
	if x.ipBits == nil || x.ipRange.Prefix() != r.ClusterIPs {
		x.ipRange = servicenet.NewIPRange(r.ClusterIPs)
		x.ipBits = servicenet.NewBitmap(x.ipRange.Size())
		x.ipBits.Set(servicenet.Reserved)
		for a := range x.ips {
			if i, in := x.ipRange.Index(a); in {
				x.ipBits.Set(i)
			}
		}
	}
	if x.portBits == nil || x.portRange != r.NodePorts {
		x.portRange = r.NodePorts
		x.portBits = servicenet.NewBitmap(r.NodePorts.Size())
		for np := range x.ports {
			if r.NodePorts.Contains(np) {
				x.portBits.Set(int(np - r.NodePorts.First))
			}
		}
	}
}

// clusterIPOf returns the address a Service holds; headless Services
// ("None") and Services without one hold none.
func clusterIPOf(spec *gantryv1.ServiceSpec) (netip.Addr, bool) {
	a, err := netip.ParseAddr(spec.GetClusterIp())
	return a, err == nil
}
