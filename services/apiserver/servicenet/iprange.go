package servicenet

import (
	"encoding/binary"
	"net/netip"
)

// IPRange numbers the addresses of a service CIDR that may be handed
// out: every address but the network and broadcast ones. Index 0 is the
// first address (10.96.0.1), which Kubernetes gives its own API Service.
type IPRange struct {
	prefix netip.Prefix
	first  uint32
	size   int
}

// NewIPRange indexes p, an IPv4 prefix of /30 or wider.
func NewIPRange(p netip.Prefix) IPRange {
	base := binary.BigEndian.Uint32(p.Masked().Addr().AsSlice())
	return IPRange{prefix: p, first: base + 1, size: 1<<(32-p.Bits()) - 2}
}

// Prefix is the CIDR.
func (r IPRange) Prefix() netip.Prefix { return r.prefix }

// Size is how many addresses the range numbers.
func (r IPRange) Size() int { return r.size }

// Index returns a's index, or false when a is outside the range, or is
// its network or broadcast address.
func (r IPRange) Index(a netip.Addr) (int, bool) {
	if !a.Is4() || !r.prefix.Contains(a) {
		return 0, false
	}
	i := int(binary.BigEndian.Uint32(a.AsSlice())) - int(r.first)
	return i, i >= 0 && i < r.size
}

// Addr returns the address at index i.
func (r IPRange) Addr(i int) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], r.first+uint32(i))
	return netip.AddrFrom4(b)
}

// Reserved is the index of the address kept for the API server's own
// Service, as Kubernetes keeps the first one for default/kubernetes.
const Reserved = 0
