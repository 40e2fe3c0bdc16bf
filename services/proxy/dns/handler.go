package dns

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	"go.uber.org/zap"
)

// serveDNS answers one query. It never blocks but to forward, and
// forwarding is bounded; every query gets an answer, SERVFAIL when the
// server is over its bounds.
func (s *Server) serveDNS(w mdns.ResponseWriter, r *mdns.Msg) {
	start := time.Now()
	proto := "udp"
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		proto = "tcp"
	}
	resp, kind := s.respond(w, r, proto)
	s.met.queries.WithLabelValues(kind, mdns.RcodeToString[resp.Rcode]).Inc()
	s.met.seconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	fit(resp, responseSize(r, proto, s.cfg.MaxUDPSize))
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("writing a DNS answer", zap.Stringer("client", w.RemoteAddr()), zap.Error(err))
	}
}

// respond builds the answer to r and says what kind of answer it is.
func (s *Server) respond(w mdns.ResponseWriter, r *mdns.Msg, proto string) (*mdns.Msg, string) {
	if !s.clientAllowed(addrOf(w.RemoteAddr())) {
		return s.reply(r, mdns.RcodeRefused), kindRefused
	}
	if s.inflight.Add(1) > int64(s.cfg.MaxQueries) {
		s.inflight.Add(-1)
		return s.reply(r, mdns.RcodeServerFailure), kindOverload
	}
	defer s.inflight.Add(-1)
	// The accept function let through only queries and notifies with one
	// question; a notify is for secondaries, which this server is not.
	if r.Opcode != mdns.OpcodeQuery {
		return s.reply(r, mdns.RcodeNotImplemented), kindRefused
	}
	q := r.Question[0]
	if opt := r.IsEdns0(); opt != nil && opt.Version() != 0 {
		return s.reply(r, mdns.RcodeBadVers), kindZone
	}
	if q.Qclass != mdns.ClassINET && q.Qclass != mdns.ClassANY {
		return s.reply(r, mdns.RcodeRefused), kindRefused
	}
	lname := strings.ToLower(q.Name)
	inZone := mdns.IsSubDomain(s.zone.name, lname)
	if inZone || isReverse(lname) {
		ix := s.ix.get()
		switch {
		case ix == nil && inZone:
			// Not NXDOMAIN: before the caches sync, nothing is known
			// not to exist, and a negative answer would be cached.
			return s.reply(r, mdns.RcodeServerFailure), kindNotReady
		case inZone:
			return s.authoritative(r, ix, s.zone.answer(ix, q, lname, addrOf(w.LocalAddr()))), kindZone
		case ix != nil:
			if res, ok := s.zone.reverse(ix, q, lname); ok {
				return s.authoritative(r, ix, res), kindZone
			}
		}
	}
	if !s.up.enabled() || !r.RecursionDesired {
		return s.reply(r, mdns.RcodeRefused), kindRefused
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.cfg.MaxUpstreamTries)*s.cfg.UpstreamTimeout)
	defer cancel()
	resp, err := s.fwd.forward(ctx, r, proto)
	if err != nil {
		if err == errUpstreamBusy {
			return s.reply(r, mdns.RcodeServerFailure), kindOverload
		}
		s.met.upErrors.Inc()
		s.log.Debug("forwarding failed", zap.String("name", q.Name), zap.Error(err))
		return s.reply(r, mdns.RcodeServerFailure), kindForward
	}
	return resp, kindForward
}

// reply is an empty answer to r with rcode, with an OPT record when r had
// one (RFC 6891), which also carries extended rcodes such as BADVERS.
func (s *Server) reply(r *mdns.Msg, rcode int) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = s.up.enabled()
	if r.IsEdns0() != nil {
		m.SetEdns0(uint16(s.cfg.MaxUDPSize), false)
	}
	m.Rcode = rcode
	return m
}

// authoritative turns a zone result into the answer to r: AA set, the
// SOA in the authority section of NXDOMAIN and NODATA answers.
func (s *Server) authoritative(r *mdns.Msg, ix *index, res result) *mdns.Msg {
	m := s.reply(r, res.rcode)
	m.Authoritative = true
	m.Answer = res.answer
	if len(res.answer) == 0 {
		m.Ns = []mdns.RR{s.zone.soa(ix)}
	}
	// The OPT record stays last, where Truncate expects it.
	m.Extra = append(res.extra, m.Extra...)
	return m
}

func isReverse(name string) bool {
	return strings.HasSuffix(name, ".in-addr.arpa.") || strings.HasSuffix(name, ".ip6.arpa.")
}

// responseSize is the largest answer the client takes: 64 KiB over TCP;
// over UDP 512 bytes, or its EDNS0 buffer size capped at maxUDP.
func responseSize(r *mdns.Msg, proto string, maxUDP int) int {
	if proto == "tcp" {
		return mdns.MaxMsgSize
	}
	if opt := r.IsEdns0(); opt != nil {
		return max(mdns.MinMsgSize, min(int(opt.UDPSize()), maxUDP))
	}
	return mdns.MinMsgSize
}

// fit makes m fit in size bytes: additional records go first, without
// setting TC (the client can ask for them); then whole answer records,
// and TC tells the client to retry over TCP.
func fit(m *mdns.Msg, size int) {
	m.Compress = true
	if m.Len() <= size {
		return
	}
	var opt []mdns.RR
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == mdns.TypeOPT {
			opt = append(opt, rr)
		}
	}
	m.Extra = opt
	m.Truncate(size)
	m.Compress = true
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
