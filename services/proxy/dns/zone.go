package dns

import (
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/gantryio/gantry/services/proxy/table"
	mdns "github.com/miekg/dns"
)

// SchemaVersion is the Kubernetes DNS schema the zone follows, served as
// the TXT record dns-version.<zone>.
const SchemaVersion = "1.1.0"

// result is an authoritative answer. A NOERROR result without answers is
// NODATA; NODATA and NXDOMAIN carry the zone's SOA in the authority
// section (RFC 2308), which the caller adds.
type result struct {
	rcode         int
	answer, extra []mdns.RR
}

func nxdomain() result { return result{rcode: mdns.RcodeNameError} }

// zone answers for the cluster domain from an index.
type zone struct {
	name string // "cluster.local."
	ttl  uint32
}

func (z *zone) hdr(name string, t uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: name, Rrtype: t, Class: mdns.ClassINET, Ttl: z.ttl}
}

func (z *zone) soa(ix *index) mdns.RR {
	return &mdns.SOA{Hdr: z.hdr(z.name, mdns.TypeSOA), Ns: "ns.dns." + z.name, Mbox: "hostmaster." + z.name,
		Serial: ix.serial, Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: z.ttl}
}

// addrs returns the records of name for the addresses of qtype's family.
func (z *zone) addrs(name string, qtype uint16, as []netip.Addr) []mdns.RR {
	var out []mdns.RR
	for _, a := range as {
		switch {
		case a.Is4() && (qtype == mdns.TypeA || qtype == mdns.TypeANY):
			out = append(out, &mdns.A{Hdr: z.hdr(name, mdns.TypeA), A: a.AsSlice()})
		case a.Is6() && (qtype == mdns.TypeAAAA || qtype == mdns.TypeANY):
			out = append(out, &mdns.AAAA{Hdr: z.hdr(name, mdns.TypeAAAA), AAAA: a.AsSlice()})
		}
	}
	return out
}

// answer answers q, whose name (lowercased: lname) is within the zone;
// local is the address the query arrived on (the name server's own).
func (z *zone) answer(ix *index, q mdns.Question, lname string, local netip.Addr) result {
	rel := strings.TrimSuffix(strings.TrimSuffix(lname, z.name), ".")
	var labels []string
	if rel != "" {
		labels = strings.Split(rel, ".")
	}
	n := len(labels)
	switch {
	case n == 0:
		return z.apex(ix, q, local)
	case n == 1 && labels[0] == "dns-version":
		if q.Qtype == mdns.TypeTXT || q.Qtype == mdns.TypeANY {
			return result{answer: []mdns.RR{&mdns.TXT{Hdr: z.hdr(q.Name, mdns.TypeTXT), Txt: []string{SchemaVersion}}}}
		}
		return result{}
	case n == 1 && labels[0] == "dns":
		return result{} // empty non-terminal above ns.dns
	case n == 2 && labels[0] == "ns" && labels[1] == "dns":
		return result{answer: z.addrs(q.Name, q.Qtype, validAddrs(local))}
	case labels[n-1] == "svc":
		return z.svc(ix, q, labels[:n-1])
	case labels[n-1] == "pod":
		return z.pod(q, labels[:n-1])
	}
	return nxdomain()
}

// pod answers IP-DASHED.NAMESPACE.pod.<zone> with the address the name
// spells (1-2-3-4 for 1.2.3.4; dashes for the colons of IPv6), as
// kube-dns and CoreDNS's "pods insecure" (kubeadm's default) do: the
// address is not looked up, so the name proves nothing about a pod, and
// only the cluster's own clients can ask (Config.Clients). Names above
// it are empty non-terminals.
func (z *zone) pod(q mdns.Question, labels []string) result {
	switch len(labels) {
	case 0, 1:
		return result{}
	case 2:
		a, err := netip.ParseAddr(strings.ReplaceAll(labels[0], "-", "."))
		if err != nil || !a.Is4() {
			if a, err = netip.ParseAddr(strings.ReplaceAll(labels[0], "-", ":")); err != nil || !a.Is6() || a.Zone() != "" {
				return nxdomain()
			}
		}
		return result{answer: z.addrs(q.Name, q.Qtype, []netip.Addr{a})}
	}
	return nxdomain()
}

func validAddrs(a netip.Addr) []netip.Addr {
	if !a.IsValid() || a.IsUnspecified() {
		return nil
	}
	return []netip.Addr{a}
}

// apex answers for the zone's own name: SOA and NS.
func (z *zone) apex(ix *index, q mdns.Question, local netip.Addr) result {
	var r result
	ns := &mdns.NS{Hdr: z.hdr(q.Name, mdns.TypeNS), Ns: "ns.dns." + z.name}
	switch q.Qtype {
	case mdns.TypeSOA:
		soa := z.soa(ix)
		soa.Header().Name = q.Name
		r.answer = []mdns.RR{soa}
	case mdns.TypeNS:
		r.answer = []mdns.RR{ns}
		r.extra = z.addrs(ns.Ns, mdns.TypeANY, validAddrs(local))
	case mdns.TypeANY:
		soa := z.soa(ix)
		soa.Header().Name = q.Name
		r.answer = []mdns.RR{soa, ns}
	}
	return r
}

// svc answers names under svc.<zone>; labels are the ones left of "svc".
func (z *zone) svc(ix *index, q mdns.Question, labels []string) result {
	m := len(labels)
	switch m {
	case 0:
		return result{} // svc.<zone>: an empty non-terminal
	case 1:
		if ix.namespaces[labels[0]] {
			return result{} // NAMESPACE.svc.<zone>: one while it has services
		}
		return nxdomain()
	}
	key := table.ServiceKey{Namespace: labels[m-1], Name: labels[m-2]}
	svc, ok := ix.t.Service(key)
	if !ok {
		return nxdomain()
	}
	switch m {
	case 2:
		return result{answer: z.addrs(q.Name, q.Qtype, serviceAddrs(svc))}
	case 3:
		if proto, ok := protoLabel(labels[0]); ok {
			for _, r := range svc.Ports {
				if r.Key.Port != "" && r.Key.Protocol == proto {
					return result{} // _PROTO.NAME...: an empty non-terminal above SRV names
				}
			}
			return nxdomain()
		}
		if !svc.Headless {
			return nxdomain()
		}
		as := ix.hosts[key][labels[0]]
		if len(as) == 0 {
			return nxdomain()
		}
		return result{answer: z.addrs(q.Name, q.Qtype, as)}
	case 4:
		return z.srv(svc, q, labels[0], labels[1])
	}
	return nxdomain()
}

// serviceAddrs are the addresses NAME.NAMESPACE.svc answers: the cluster
// IP, or a headless service's ready endpoints in random order (clients
// take the first; shuffling spreads them).
func serviceAddrs(svc *table.Service) []netip.Addr {
	if svc.ClusterIP.IsValid() {
		return []netip.Addr{svc.ClusterIP}
	}
	if !svc.Headless {
		return nil // no cluster IP allocated yet
	}
	var out []netip.Addr
	for _, e := range svc.Endpoints {
		if e.Ready {
			out = append(out, e.Addr.Addr())
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// protoLabel maps _tcp, _udp, _sctp to a protocol.
func protoLabel(l string) (table.Protocol, bool) {
	switch l {
	case "_tcp":
		return table.TCP, true
	case "_udp":
		return table.UDP, true
	case "_sctp":
		return table.SCTP, true
	}
	return "", false
}

// srv answers _PORT._PROTO.NAME.NAMESPACE.svc: for a service with a
// cluster IP one SRV record naming the service; for a headless one an SRV
// record per ready endpoint, naming the endpoint's host, with the
// endpoint's port (the one to connect to: there is no virtual IP to
// translate the service port). Additional records give the targets'
// addresses.
func (z *zone) srv(svc *table.Service, q mdns.Question, portLabel, protoL string) result {
	proto, ok := protoLabel(protoL)
	if !ok || !strings.HasPrefix(portLabel, "_") || len(portLabel) < 2 {
		return nxdomain()
	}
	var route *table.Route
	for _, r := range svc.Ports {
		if r.Key.Port == portLabel[1:] && r.Key.Protocol == proto {
			route = r
			break
		}
	}
	if route == nil {
		return nxdomain()
	}
	if q.Qtype != mdns.TypeSRV && q.Qtype != mdns.TypeANY {
		return result{}
	}
	target := serviceFQDN(svc.Key, strings.TrimSuffix(z.name, "."))
	var r result
	if svc.ClusterIP.IsValid() {
		r.answer = []mdns.RR{&mdns.SRV{Hdr: z.hdr(q.Name, mdns.TypeSRV), Priority: 0, Weight: 100, Port: route.Port, Target: target}}
		r.extra = z.addrs(target, mdns.TypeANY, []netip.Addr{svc.ClusterIP})
		return r
	}
	if !svc.Headless {
		return r
	}
	var ready []table.Endpoint
	for _, e := range route.Endpoints {
		if e.Ready {
			ready = append(ready, e)
		}
	}
	if len(ready) == 0 {
		return r
	}
	weight := uint16(max(1, 100/len(ready)))
	for _, e := range ready {
		host := endpointHost(e) + "." + target
		r.answer = append(r.answer, &mdns.SRV{Hdr: z.hdr(q.Name, mdns.TypeSRV), Priority: 0, Weight: weight, Port: e.Addr.Port(), Target: host})
		r.extra = append(r.extra, z.addrs(host, mdns.TypeANY, []netip.Addr{e.Addr.Addr()})...)
	}
	return r
}

// reverse answers a PTR name for an address the zone names (a cluster IP,
// a ready headless endpoint); ok is false for other names, which are not
// the zone's to answer.
func (z *zone) reverse(ix *index, q mdns.Question, lname string) (result, bool) {
	a, ok := parseReverse(lname)
	if !ok {
		return result{}, false
	}
	names := ix.ptr[a]
	if len(names) == 0 {
		return result{}, false
	}
	var r result
	if q.Qtype == mdns.TypePTR || q.Qtype == mdns.TypeANY {
		for _, n := range names {
			r.answer = append(r.answer, &mdns.PTR{Hdr: z.hdr(q.Name, mdns.TypePTR), Ptr: n})
		}
	}
	return r, true
}

// parseReverse parses d.c.b.a.in-addr.arpa. and the 32 nibbles of an
// ip6.arpa. name.
func parseReverse(name string) (netip.Addr, bool) {
	switch {
	case strings.HasSuffix(name, ".in-addr.arpa."):
		l := strings.Split(strings.TrimSuffix(name, ".in-addr.arpa."), ".")
		if len(l) != 4 {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(l[3] + "." + l[2] + "." + l[1] + "." + l[0])
		return a, err == nil
	case strings.HasSuffix(name, ".ip6.arpa."):
		l := strings.Split(strings.TrimSuffix(name, ".ip6.arpa."), ".")
		if len(l) != 32 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i, nib := range l {
			if len(nib) != 1 {
				return netip.Addr{}, false
			}
			v := strings.IndexByte("0123456789abcdef", nib[0])
			if v < 0 {
				return netip.Addr{}, false
			}
			// Nibbles run from the least significant: l[0] is the low
			// nibble of the last byte.
			byteIdx := 15 - i/2
			if i%2 == 0 {
				b[byteIdx] |= byte(v)
			} else {
				b[byteIdx] |= byte(v) << 4
			}
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}
