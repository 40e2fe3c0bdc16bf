package nftables

import (
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Priorities of the base chains: DNAT at dstnat, masquerade at srcnat, and
// the no-endpoints check just before DNAT (as kube-proxy's filter chains).
var (
	prioDstNAT = nftables.ChainPriorityNATDest
	prioSrcNAT = nftables.ChainPriorityNATSource
	prioFilter = nftables.ChainPriorityRef(*nftables.ChainPriorityNATDest - 10)
)

// skeleton holds the table's fixed objects.
type skeleton struct {
	table                                  *nftables.Table
	serviceIPs, nodePorts, noEPs, noEPPort *nftables.Set
}

func newSkeleton(name string) *skeleton {
	t := &nftables.Table{Name: name, Family: nftables.TableFamilyIPv4}
	m := func(n string, key nftables.SetDatatype) *nftables.Set {
		return &nftables.Set{Table: t, Name: n, IsMap: true, Concatenation: true, KeyType: key, DataType: nftables.TypeVerdict}
	}
	return &skeleton{
		table:      t,
		serviceIPs: m(mapServiceIPs, serviceKeyType), nodePorts: m(mapServiceNodePorts, nodePortKeyType),
		noEPs: m(mapNoEndpointServices, serviceKeyType), noEPPort: m(mapNoEndpointNodePort, nodePortKeyType),
	}
}

func (s *skeleton) chain(name string) *nftables.Chain {
	return &nftables.Chain{Name: name, Table: s.table}
}

func (s *skeleton) rule(cc *nftables.Conn, chain string, exprs ...[]expr.Any) {
	cc.AddRule(&nftables.Rule{Table: s.table, Chain: s.chain(chain), Exprs: concat(exprs...)})
}

// add queues the whole skeleton into cc, replacing the table if it is
// there (a leftover of a run that did not close): add, delete, add never
// fails on either.
func (s *skeleton) add(cc *nftables.Conn, masqMark uint32) error {
	t := s.table
	cc.AddTable(t)
	cc.DelTable(t)
	cc.AddTable(t)
	for _, m := range []*nftables.Set{s.serviceIPs, s.nodePorts, s.noEPs, s.noEPPort} {
		m.ID = 0 // a fresh ID for this batch
		if err := cc.AddSet(m, nil); err != nil {
			return err
		}
	}
	for _, n := range []string{chainMarkMasq, chainMasquerading, chainReject, chainServices, chainNoEndpoints} {
		cc.AddChain(s.chain(n))
	}
	mark := binaryutil.NativeEndian.PutUint32(masqMark)
	s.rule(cc, chainMarkMasq, []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(^masqMark), Xor: mark},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1},
	})
	// Masquerade once: the mark is cleared so that a packet that comes
	// through again (another hop on this host) is not masqueraded twice.
	s.rule(cc, chainMasquerading, []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: mark, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: make([]byte, 4)},
		&expr.Verdict{Kind: expr.VerdictReturn},
	})
	s.rule(cc, chainMasquerading, []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(0xffffffff), Xor: mark},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1},
	})
	s.rule(cc, chainMasquerading, []expr.Any{&expr.Masq{FullyRandom: true}})
	// TCP gets a reset, everything else ICMP port unreachable: either way
	// the client's connect or next read fails at once.
	s.rule(cc, chainReject, l4proto(unix.IPPROTO_TCP), []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_TCP_RST}})
	s.rule(cc, chainReject, []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 3}}) // port unreachable
	s.rule(cc, chainServices, loadServiceKey(), []expr.Any{vmap(mapServiceIPs)})
	s.rule(cc, chainServices, localDaddr(), loadNodePortKey(), []expr.Any{vmap(mapServiceNodePorts)})
	s.rule(cc, chainNoEndpoints, loadServiceKey(), []expr.Any{vmap(mapNoEndpointServices)})
	s.rule(cc, chainNoEndpoints, localDaddr(), loadNodePortKey(), []expr.Any{vmap(mapNoEndpointNodePort)})

	base := func(name string, typ nftables.ChainType, hook *nftables.ChainHook, prio *nftables.ChainPriority) {
		cc.AddChain(&nftables.Chain{Name: name, Table: t, Type: typ, Hooknum: hook, Priority: prio})
	}
	base(chainFilterPrerouting, nftables.ChainTypeFilter, nftables.ChainHookPrerouting, prioFilter)
	base(chainFilterOutput, nftables.ChainTypeFilter, nftables.ChainHookOutput, prioFilter)
	base(chainFilterForward, nftables.ChainTypeFilter, nftables.ChainHookForward, prioFilter)
	base(chainNATPrerouting, nftables.ChainTypeNAT, nftables.ChainHookPrerouting, prioDstNAT)
	base(chainNATOutput, nftables.ChainTypeNAT, nftables.ChainHookOutput, prioDstNAT)
	base(chainNATPostrouting, nftables.ChainTypeNAT, nftables.ChainHookPostrouting, prioSrcNAT)
	s.rule(cc, chainFilterPrerouting, ctStateNew(), []expr.Any{jump(chainNoEndpoints)})
	s.rule(cc, chainFilterOutput, ctStateNew(), []expr.Any{jump(chainNoEndpoints)})
	// Without br_netfilter, the answer of a backend on the client's own
	// link (a pod on the same bridge, or the client itself) would go
	// straight back, bypassing this host's conntrack and its reverse DNAT:
	// masquerading makes it come back through the host.
	s.rule(cc, chainFilterForward, ctStateNew(), ctStatusDNAT(), backendOnInputLink(), []expr.Any{jump(chainMarkMasq)})
	s.rule(cc, chainNATPrerouting, []expr.Any{jump(chainServices)})
	s.rule(cc, chainNATOutput, []expr.Any{jump(chainServices)})
	s.rule(cc, chainNATPostrouting, []expr.Any{jump(chainMasquerading)})
	return nil
}
