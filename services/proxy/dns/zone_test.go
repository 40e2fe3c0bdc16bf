package dns

import (
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

const soaLine = "cluster.local. 5 SOA ns.dns.cluster.local. hostmaster.cluster.local."

// TestRecords checks each kind of name of the zone over UDP: answers,
// rcode, AA, TTL, and the SOA of negative answers.
func TestRecords(t *testing.T) {
	ts := newTestServer(t, nil)
	fixture(ts.view)
	for _, tc := range []struct {
		name   string
		qtype  uint16
		rcode  int
		answer []string // sorted
		extra  []string // sorted; nil: not checked
	}{
		{name: "web.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"web.default.svc.cluster.local. 5 A 10.96.0.10"}},
		{name: "WEB.Default.SVC.Cluster.Local.", qtype: mdns.TypeA,
			answer: []string{"WEB.Default.SVC.Cluster.Local. 5 A 10.96.0.10"}},
		{name: "api.other.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"api.other.svc.cluster.local. 5 A 10.96.0.11"}},
		// Headless: the ready endpoints only (not the unready one, not the
		// terminating one).
		{name: "db.default.svc.cluster.local.", qtype: mdns.TypeA, answer: []string{
			"db.default.svc.cluster.local. 5 A 10.244.1.5", "db.default.svc.cluster.local. 5 A 10.244.1.6"}},
		{name: "web-0.db.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"web-0.db.default.svc.cluster.local. 5 A 10.244.1.5"}},
		{name: "10-244-1-6.db.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"10-244-1-6.db.default.svc.cluster.local. 5 A 10.244.1.6"}},
		{name: "_http._tcp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{"_http._tcp.web.default.svc.cluster.local. 5 SRV 0 100 80 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local. 5 A 10.96.0.10"}},
		{name: "_dns._udp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{"_dns._udp.web.default.svc.cluster.local. 5 SRV 0 100 53 web.default.svc.cluster.local."}},
		// Headless SRV: one per ready endpoint, the endpoint's port.
		{name: "_pg._tcp.db.default.svc.cluster.local.", qtype: mdns.TypeSRV, answer: []string{
			"_pg._tcp.db.default.svc.cluster.local. 5 SRV 0 50 15432 10-244-1-6.db.default.svc.cluster.local.",
			"_pg._tcp.db.default.svc.cluster.local. 5 SRV 0 50 15432 web-0.db.default.svc.cluster.local."},
			extra: []string{"10-244-1-6.db.default.svc.cluster.local. 5 A 10.244.1.6", "web-0.db.default.svc.cluster.local. 5 A 10.244.1.5"}},
		{name: "10.0.96.10.in-addr.arpa.", qtype: mdns.TypePTR,
			answer: []string{"10.0.96.10.in-addr.arpa. 5 PTR web.default.svc.cluster.local."}},
		{name: "5.1.244.10.in-addr.arpa.", qtype: mdns.TypePTR,
			answer: []string{"5.1.244.10.in-addr.arpa. 5 PTR web-0.db.default.svc.cluster.local."}},
		{name: "dns-version.cluster.local.", qtype: mdns.TypeTXT,
			answer: []string{`dns-version.cluster.local. 5 TXT "1.1.0"`}},
		{name: "ns.dns.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"ns.dns.cluster.local. 5 A 127.0.0.1"}},
		{name: "cluster.local.", qtype: mdns.TypeNS, answer: []string{"cluster.local. 5 NS ns.dns.cluster.local."},
			extra: []string{"ns.dns.cluster.local. 5 A 127.0.0.1"}},

		// NXDOMAIN: nothing at or below the name.
		{name: "nope.default.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "web.nope.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "nope.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "_nope._tcp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV, rcode: mdns.RcodeNameError},
		{name: "_http._udp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV, rcode: mdns.RcodeNameError},
		{name: "_sctp.web.default.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "web-1.db.default.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "10-244-1-7.db.default.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError}, // not ready
		{name: "x.web.default.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},         // not headless
		{name: "a.b.c.d.e.web.default.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "10-244-1.default.pod.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "010-244-1-9.default.pod.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "x.10-244-1-9.default.pod.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{name: "fe80--1%eth0.default.pod.cluster.local.", qtype: mdns.TypeAAAA, rcode: mdns.RcodeNameError},
		{name: "web.default.svc.cluster.local.default.svc.cluster.local.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},

		// NODATA: the name exists, without records of that type.
		{name: "web.default.svc.cluster.local.", qtype: mdns.TypeAAAA},
		{name: "web.default.svc.cluster.local.", qtype: mdns.TypeMX},
		{name: "db.default.svc.cluster.local.", qtype: mdns.TypeAAAA},
		{name: "empty.default.svc.cluster.local.", qtype: mdns.TypeA},
		{name: "_pg._tcp.empty.default.svc.cluster.local.", qtype: mdns.TypeSRV},
		{name: "new.default.svc.cluster.local.", qtype: mdns.TypeA},
		{name: "_http._tcp.web.default.svc.cluster.local.", qtype: mdns.TypeA},
		{name: "_tcp.web.default.svc.cluster.local.", qtype: mdns.TypeA},
		{name: "default.svc.cluster.local.", qtype: mdns.TypeA},
		{name: "svc.cluster.local.", qtype: mdns.TypeA},
		{name: "cluster.local.", qtype: mdns.TypeA},
		{name: "10.0.96.10.in-addr.arpa.", qtype: mdns.TypeA},
		{name: "pod.cluster.local.", qtype: mdns.TypeA},
		{name: "default.pod.cluster.local.", qtype: mdns.TypeA},
		{name: "10-244-1-9.default.pod.cluster.local.", qtype: mdns.TypeAAAA},

		// Pod records: the address the name spells (kube-dns, CoreDNS "pods insecure").
		{name: "10-244-1-9.default.pod.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"10-244-1-9.default.pod.cluster.local. 5 A 10.244.1.9"}},
		{name: "fd00--1-9.other.pod.cluster.local.", qtype: mdns.TypeAAAA,
			answer: []string{"fd00--1-9.other.pod.cluster.local. 5 AAAA fd00::1:9"}},
	} {
		t.Run(tc.name+"/"+mdns.TypeToString[tc.qtype], func(t *testing.T) {
			m := ts.query("udp", tc.name, tc.qtype, 0)
			if m.Rcode != tc.rcode {
				t.Fatalf("rcode = %s, want %s", mdns.RcodeToString[m.Rcode], mdns.RcodeToString[tc.rcode])
			}
			if !m.Authoritative {
				t.Error("AA not set")
			}
			got := rrs(m.Answer)
			slices.Sort(got)
			want := tc.answer
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("answer = %q\nwant %q", got, want)
			}
			if tc.extra != nil {
				gotX := rrs(m.Extra)
				slices.Sort(gotX)
				if !slices.Equal(gotX, tc.extra) {
					t.Errorf("extra = %q\nwant %q", gotX, tc.extra)
				}
			}
			negative := len(tc.answer) == 0
			switch ns := rrs(m.Ns); {
			case negative && (len(ns) != 1 || !strings.HasPrefix(ns[0], soaLine)):
				t.Errorf("authority = %q, want the SOA %q...", ns, soaLine)
			case !negative && len(ns) != 0:
				t.Errorf("authority = %q, want none", ns)
			}
		})
	}
}

// TestNotSynced: before the proxy has a table, the zone is SERVFAIL, not
// NXDOMAIN that resolvers would cache.
func TestNotSynced(t *testing.T) {
	ts := newTestServer(t, nil)
	m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0)
	if m.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("rcode = %s, want SERVFAIL", mdns.RcodeToString[m.Rcode])
	}
	fixture(ts.view)
	if m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0); m.Rcode != mdns.RcodeSuccess || len(m.Answer) != 1 {
		t.Fatalf("after sync: %v", m)
	}
}

// TestFollowsTable: answers change with the view's table, at once.
func TestFollowsTable(t *testing.T) {
	ts := newTestServer(t, nil)
	fixture(ts.view)
	if m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0); len(m.Answer) != 1 {
		t.Fatalf("answer = %v", m.Answer)
	}
	ts.view.set(nil, nil)
	if m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0); m.Rcode != mdns.RcodeNameError {
		t.Fatalf("after the service went: rcode = %s, want NXDOMAIN", mdns.RcodeToString[m.Rcode])
	}
	if m := ts.query("udp", "10.0.96.10.in-addr.arpa.", mdns.TypePTR, 0); m.Rcode != mdns.RcodeRefused {
		t.Fatalf("PTR of a released IP: rcode = %s, want REFUSED (not the zone's, no upstream)", mdns.RcodeToString[m.Rcode])
	}
}

// TestHeadlessShuffled: a headless service's addresses come in varying
// order, so that clients taking the first spread over the endpoints.
func TestHeadlessShuffled(t *testing.T) {
	ts := newTestServer(t, nil)
	fixture(ts.view)
	firsts := map[string]bool{}
	for i := 0; i < 64 && len(firsts) < 2; i++ {
		m := ts.query("udp", "db.default.svc.cluster.local.", mdns.TypeA, 0)
		firsts[m.Answer[0].(*mdns.A).A.String()] = true
	}
	if len(firsts) != 2 {
		t.Fatalf("first address over 64 queries: %v, want both", firsts)
	}
}

func TestParseReverse(t *testing.T) {
	for name, want := range map[string]string{
		"4.3.2.1.in-addr.arpa.": "1.2.3.4",
		"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa.": "4321:0:1:2:3:4:567:89ab",
		"3.2.1.in-addr.arpa.":   "",
		"x.3.2.1.in-addr.arpa.": "",
		"1.ip6.arpa.":           "",
	} {
		a, ok := parseReverse(name)
		if got := map[bool]string{true: a.String(), false: ""}[ok]; got != want {
			t.Errorf("parseReverse(%q) = %q, want %q", name, got, want)
		}
	}
}
