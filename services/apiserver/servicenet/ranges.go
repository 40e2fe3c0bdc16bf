package servicenet

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
)

// The defaults, as Kubernetes' (kubeadm's service subnet and the
// apiserver's --service-node-port-range).
const (
	DefaultClusterIPRange = "10.96.0.0/16"
	DefaultNodePortRange  = "30000-32767"
)

// Bounds on the cluster IP range. The widest is Kubernetes' limit for
// IPv4 (a /12 is a 128 KiB bitmap); the narrowest still leaves one
// address to hand out beside the network, broadcast and reserved ones.
const (
	minPrefixBits = 12
	maxPrefixBits = 30
)

// ErrRange: a range flag or a stamped range does not parse.
var ErrRange = errors.New("invalid service range")

// Ranges are where Services get their addresses from.
type Ranges struct {
	ClusterIPs netip.Prefix
	NodePorts  PortRange
}

// PortRange is an inclusive range of ports.
type PortRange struct{ First, Last int32 }

// Size is how many ports the range holds.
func (r PortRange) Size() int { return int(r.Last-r.First) + 1 }

// Contains reports whether p is in the range.
func (r PortRange) Contains(p int32) bool { return p >= r.First && p <= r.Last }

func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// Default returns the default ranges.
func Default() Ranges {
	r, err := Parse(DefaultClusterIPRange, DefaultNodePortRange)
	if err != nil {
		panic(err)
	}
	return r
}

// Parse reads the two flags.
func Parse(cidr, ports string) (Ranges, error) {
	p, err := ParseCIDR(cidr)
	if err != nil {
		return Ranges{}, err
	}
	pr, err := ParsePortRange(ports)
	if err != nil {
		return Ranges{}, err
	}
	return Ranges{ClusterIPs: p, NodePorts: pr}, nil
}

// ParseCIDR reads an IPv4 service CIDR such as 10.96.0.0/16. Host bits
// must be zero: 10.96.0.5/16 is more likely a typo than a range.
func ParseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%w: service cluster IP range %q: %v", ErrRange, s, err)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%w: service cluster IP range %q: must be IPv4", ErrRange, s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%w: service cluster IP range %q has host bits set; did you mean %s?", ErrRange, s, p.Masked())
	}
	if b := p.Bits(); b < minPrefixBits || b > maxPrefixBits {
		return netip.Prefix{}, fmt.Errorf("%w: service cluster IP range %q: the prefix length must be between /%d and /%d",
			ErrRange, s, minPrefixBits, maxPrefixBits)
	}
	return p, nil
}

// ParsePortRange reads "30000-32767".
func ParsePortRange(s string) (PortRange, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	first, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 32)
	last, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return PortRange{}, fmt.Errorf("%w: service node port range %q: want FIRST-LAST, such as %s", ErrRange, s, DefaultNodePortRange)
	}
	if first < 1 || last > 65535 || first > last {
		return PortRange{}, fmt.Errorf("%w: service node port range %q: want 1 <= FIRST <= LAST <= 65535", ErrRange, s)
	}
	return PortRange{First: int32(first), Last: int32(last)}, nil
}

// Proto returns the ranges as the leader stamps them on an op.
func (r Ranges) Proto() *storagev1.ServiceNetwork {
	return &storagev1.ServiceNetwork{ClusterIpRange: r.ClusterIPs.String(), NodePortFirst: r.NodePorts.First, NodePortLast: r.NodePorts.Last}
}

// FromProto reads the ranges stamped on an op; an op without them (from
// before the leader stamped any) gets the defaults.
func FromProto(p *storagev1.ServiceNetwork) (Ranges, error) {
	if p == nil {
		return Default(), nil
	}
	return Parse(p.GetClusterIpRange(), PortRange{First: p.GetNodePortFirst(), Last: p.GetNodePortLast()}.String())
}
