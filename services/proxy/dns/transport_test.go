package dns

import (
	"fmt"
	"net"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	mdns "github.com/miekg/dns"
)

// bigHeadless sets a headless service "big" with n ready endpoints.
func bigHeadless(v *fakeView, n int) {
	var eps []ep
	for i := 0; i < n; i++ {
		eps = append(eps, ep{ip: fmt.Sprintf("10.244.%d.%d", i/250, 1+i%250), ready: true})
	}
	v.set([]*gantryv1.Service{svc("default", "big", "None", port("http", "TCP", 80))},
		[]*gantryv1.EndpointSlice{slice("default", "big", []*gantryv1.EndpointPort{sport("http", "TCP", 8080)}, eps...)})
}

func TestTCP(t *testing.T) {
	ts := newTestServer(t, nil)
	fixture(ts.view)
	m := ts.query("tcp", "web.default.svc.cluster.local.", mdns.TypeA, 0)
	if got := rrs(m.Answer); len(got) != 1 || got[0] != "web.default.svc.cluster.local. 5 A 10.96.0.10" {
		t.Fatalf("answer = %q", got)
	}
	// Several queries on one connection.
	c := &mdns.Client{Net: "tcp", Timeout: 5 * time.Second}
	conn, err := c.Dial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, name := range []string{"web.default.svc.cluster.local.", "api.other.svc.cluster.local.", "nope.default.svc.cluster.local."} {
		q := new(mdns.Msg)
		q.SetQuestion(name, mdns.TypeA)
		m, _, err := c.ExchangeWithConn(q, conn)
		if err != nil {
			t.Fatalf("%s on a reused connection: %v", name, err)
		}
		if m.Id != q.Id || m.Question[0].Name != name {
			t.Fatalf("answer %d/%s to query %d/%s", m.Id, m.Question[0].Name, q.Id, name)
		}
	}
}

// TestTruncation: UDP answers fit 512 bytes (no EDNS0) or the client's
// EDNS0 size capped at MaxUDPSize, with TC set when answer records were
// left out; TCP carries them all.
func TestTruncation(t *testing.T) {
	ts := newTestServer(t, nil)
	bigHeadless(ts.view, 300)
	name := "big.default.svc.cluster.local."
	for _, tc := range []struct {
		proto   string
		edns    uint16
		maxSize int
		all     bool
	}{
		{proto: "udp", maxSize: 512},
		{proto: "udp", edns: 1024, maxSize: 1024},
		{proto: "udp", edns: 4096, maxSize: 1232},
		{proto: "tcp", maxSize: 65535, all: true},
	} {
		t.Run(fmt.Sprintf("%s/edns%d", tc.proto, tc.edns), func(t *testing.T) {
			q := new(mdns.Msg)
			q.SetQuestion(name, mdns.TypeA)
			if tc.edns > 0 {
				q.SetEdns0(tc.edns, false)
			}
			// A raw exchange, to see the size on the wire.
			conn, err := net.Dial(tc.proto, ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			dc := &mdns.Conn{Conn: conn, UDPSize: mdns.MaxMsgSize}
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if err := dc.WriteMsg(q); err != nil {
				t.Fatal(err)
			}
			m, err := dc.ReadMsg()
			if err != nil {
				t.Fatal(err)
			}
			m.Compress = true // as sent
			wire, _ := m.Pack()
			if len(wire) > tc.maxSize {
				t.Errorf("answer of %d bytes, want at most %d", len(wire), tc.maxSize)
			}
			if tc.all {
				if m.Truncated || len(m.Answer) != 300 {
					t.Errorf("TC=%v with %d answers, want all 300 and no TC", m.Truncated, len(m.Answer))
				}
				return
			}
			if !m.Truncated || len(m.Answer) == 0 || len(m.Answer) >= 300 {
				t.Errorf("TC=%v with %d answers, want TC and some answers", m.Truncated, len(m.Answer))
			}
			if (tc.edns > 0) != (m.IsEdns0() != nil) {
				t.Errorf("OPT in answer = %v, want %v", m.IsEdns0() != nil, tc.edns > 0)
			}
		})
	}
}

// TestTruncationKeepsAnswers: when only additional records do not fit,
// they are dropped without TC.
func TestTruncationKeepsAnswers(t *testing.T) {
	ts := newTestServer(t, nil)
	// 6 SRV records (their targets are never compressed) fit 512 bytes,
	// with their 6 A records they do not.
	bigHeadless(ts.view, 6)
	m := ts.query("udp", "_http._tcp.big.default.svc.cluster.local.", mdns.TypeSRV, 0)
	if m.Truncated || len(m.Answer) != 6 || len(m.Extra) != 0 {
		t.Fatalf("TC=%v answers=%d extra=%d, want no TC, 6 SRV and the A records dropped", m.Truncated, len(m.Answer), len(m.Extra))
	}
	m = ts.query("tcp", "_http._tcp.big.default.svc.cluster.local.", mdns.TypeSRV, 0)
	if len(m.Answer) != 6 || len(m.Extra) != 6 {
		t.Fatalf("over TCP: answers=%d extra=%d, want 6 and 6", len(m.Answer), len(m.Extra))
	}
}

func TestEDNS(t *testing.T) {
	ts := newTestServer(t, nil)
	fixture(ts.view)
	m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 4096)
	opt := m.IsEdns0()
	if opt == nil || opt.UDPSize() != 1232 {
		t.Fatalf("OPT = %v, want one announcing 1232", opt)
	}
	q := new(mdns.Msg)
	q.SetQuestion("web.default.svc.cluster.local.", mdns.TypeA)
	q.SetEdns0(4096, false)
	q.IsEdns0().SetVersion(1)
	m, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(q, ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rcode != mdns.RcodeBadVers {
		t.Fatalf("EDNS version 1: rcode = %s, want BADVERS", mdns.RcodeToString[m.Rcode])
	}
}

// TestMalformed: the server answers FORMERR, NOTIMP or REFUSED and keeps
// serving.
func TestMalformed(t *testing.T) {
	ts := newTestServer(t, nil)
	fixture(ts.view)
	c := &mdns.Client{Timeout: 5 * time.Second}
	two := new(mdns.Msg)
	two.SetQuestion("web.default.svc.cluster.local.", mdns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	notify := new(mdns.Msg)
	notify.SetNotify("cluster.local.")
	chaos := new(mdns.Msg)
	chaos.SetQuestion("version.bind.", mdns.TypeTXT)
	chaos.Question[0].Qclass = mdns.ClassCHAOS
	for _, tc := range []struct {
		m     *mdns.Msg
		rcode int
	}{{two, mdns.RcodeFormatError}, {notify, mdns.RcodeNotImplemented}, {chaos, mdns.RcodeRefused}} {
		m, _, err := c.Exchange(tc.m, ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		if m.Rcode != tc.rcode {
			t.Errorf("rcode = %s, want %s", mdns.RcodeToString[m.Rcode], mdns.RcodeToString[tc.rcode])
		}
	}
	// Garbage: no answer, and the server still serves.
	conn, err := net.Dial("udp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte{1, 2, 3})
	conn.Close()
	if m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0); len(m.Answer) != 1 {
		t.Fatalf("after garbage: %v", m)
	}
}
