package nftables

import (
	"net/netip"

	"github.com/gantryio/gantry/services/proxy/table"
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Registers as nft numbers them: reg 1 holds 16 bytes; 9 and 10 are the
// 4-byte registers after the first one, where concatenations continue.
const (
	reg1  = 1
	reg9  = 9
	reg10 = 10
)

// Key types of the verdict maps.
var (
	serviceKeyType  = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService)
	nodePortKeyType = nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService)
)

// protoNumber is a protocol's IP protocol number (0: unknown).
func protoNumber(p table.Protocol) byte {
	switch p {
	case table.TCP:
		return unix.IPPROTO_TCP
	case table.UDP:
		return unix.IPPROTO_UDP
	case table.SCTP:
		return unix.IPPROTO_SCTP
	}
	return 0
}

// serviceKey is a service-ips key: address . protocol . port, each field
// padded to 4 bytes as concatenations are.
func serviceKey(ip netip.Addr, proto byte, port uint16) []byte {
	a := ip.As4()
	return []byte{a[0], a[1], a[2], a[3], proto, 0, 0, 0, byte(port >> 8), byte(port), 0, 0}
}

// nodePortKey is a service-nodeports key: protocol . port.
func nodePortKey(proto byte, port uint16) []byte {
	return []byte{proto, 0, 0, 0, byte(port >> 8), byte(port), 0, 0}
}

// loadServiceKey loads ip daddr . meta l4proto . th dport.
func loadServiceKey() []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: reg1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg9},
		&expr.Payload{DestRegister: reg10, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
	}
}

// loadNodePortKey loads meta l4proto . th dport.
func loadNodePortKey() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1},
		&expr.Payload{DestRegister: reg9, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
	}
}

// vmap looks the loaded key up in a named verdict map.
func vmap(name string) expr.Any {
	return &expr.Lookup{SourceRegister: reg1, SetName: name, IsDestRegSet: true, DestRegister: 0}
}

// localDaddr matches fib daddr type local ip daddr != 127.0.0.0/8: node
// ports answer on the node's addresses, not on loopback (whose answers
// could not be routed back from a pod, as in kube-proxy's nftables mode).
func localDaddr() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: reg1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
		&expr.Payload{DestRegister: reg1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: []byte{127}},
	}
}

// localSaddr matches fib saddr type local: the host's own traffic.
func localSaddr() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: reg1, FlagSADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

// ctStateNew matches ct state new.
func ctStateNew() []expr.Any {
	return ctBit(expr.CtKeySTATE, expr.CtStateBitNEW)
}

// ctStatusDNAT matches ct status dnat.
func ctStatusDNAT() []expr.Any {
	return ctBit(expr.CtKeySTATUS, 1<<5) // IPS_DST_NAT
}

func ctBit(key expr.CtKey, bit uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: reg1, Key: key},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bit), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: make([]byte, 4)},
	}
}

// backendOnInputLink matches fib daddr . iif oif exists: the (DNATed)
// destination is reached through the interface the packet came in on, so
// its answer would go straight back to the client (a pod on the same
// bridge, or the client itself) without passing this host's conntrack.
func backendOnInputLink() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: reg1, FlagDADDR: true, FlagIIF: true, ResultOIF: true},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: make([]byte, 4)},
	}
}

// l4proto matches meta l4proto p.
func l4proto(p byte) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{p}},
	}
}

// dnat is dnat to ep (to its address only when its port is 0).
func dnat(ep netip.AddrPort) []expr.Any {
	a := ep.Addr().As4()
	out := []expr.Any{&expr.Immediate{Register: reg1, Data: a[:]}}
	nat := &expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: reg1}
	if p := ep.Port(); p != 0 {
		out = append(out, &expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(p)})
		nat.RegProtoMin, nat.Specified = 2, true
	}
	return append(out, nat)
}

func jump(chain string) expr.Any { return &expr.Verdict{Kind: expr.VerdictJump, Chain: chain} }
func goTo(chain string) expr.Any { return &expr.Verdict{Kind: expr.VerdictGoto, Chain: chain} }

// concat joins expression lists into one rule body.
func concat(parts ...[]expr.Any) []expr.Any {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]expr.Any, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
