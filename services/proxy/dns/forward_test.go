package dns

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"go.uber.org/zap"
)

// TestForward: names outside the zone go to the upstream, over the
// client's transport, and come back under the client's ID.
func TestForward(t *testing.T) {
	up := newUpstream(t)
	ts := newTestServer(t, func(c *Config) { c.Upstream = []string{up.addr} })
	fixture(ts.view)
	for _, proto := range []string{"udp", "tcp"} {
		m := ts.query(proto, "example.com.", mdns.TypeA, 0)
		if got := rrs(m.Answer); m.Rcode != mdns.RcodeSuccess || len(got) != 1 || got[0] != "example.com. 60 A 192.0.2.1" {
			t.Fatalf("over %s: rcode %s answer %q", proto, mdns.RcodeToString[m.Rcode], got)
		}
		if m.Authoritative {
			t.Errorf("over %s: a forwarded answer has AA set", proto)
		}
	}
	if n := up.queries.Load(); n != 2 {
		t.Errorf("upstream saw %d queries, want 2", n)
	}
	// The zone is never forwarded, and neither are the PTR names it knows.
	ts.query("udp", "nope.default.svc.cluster.local.", mdns.TypeA, 0)
	ts.query("udp", "10.0.96.10.in-addr.arpa.", mdns.TypePTR, 0)
	if n := up.queries.Load(); n != 2 {
		t.Errorf("upstream saw %d queries, want still 2", n)
	}
	// PTR names it does not know are.
	ts.query("udp", "1.2.0.192.in-addr.arpa.", mdns.TypePTR, 0)
	if n := up.queries.Load(); n != 3 {
		t.Errorf("upstream saw %d queries, want 3", n)
	}
	// Without recursion desired, names outside the zone are refused.
	q := new(mdns.Msg)
	q.SetQuestion("example.com.", mdns.TypeA)
	q.RecursionDesired = false
	m, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(q, ts.addr)
	if err != nil || m.Rcode != mdns.RcodeRefused {
		t.Fatalf("RD=0: %v %v, want REFUSED", m, err)
	}
}

// TestForwardFailover: a dead upstream is skipped for the next; when none
// answers, SERVFAIL.
func TestForwardFailover(t *testing.T) {
	dead := deadAddr(t)
	up := newUpstream(t)
	ts := newTestServer(t, func(c *Config) {
		c.Upstream, c.UpstreamTimeout = []string{dead, up.addr}, 300*time.Millisecond
	})
	if m := ts.query("tcp", "example.com.", mdns.TypeA, 0); m.Rcode != mdns.RcodeSuccess || len(m.Answer) != 1 {
		t.Fatalf("with a dead first upstream: %v", m)
	}
	ts2 := newTestServer(t, func(c *Config) { c.Upstream, c.UpstreamTimeout = []string{dead}, 300*time.Millisecond })
	if m := ts2.query("tcp", "example.com.", mdns.TypeA, 0); m.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("with only a dead upstream: rcode %s, want SERVFAIL", mdns.RcodeToString[m.Rcode])
	}
}

// deadAddr is a 127.0.0.1 address nothing listens on (TCP refused).
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// TestNoUpstream: without upstream, names outside the zone are REFUSED.
func TestNoUpstream(t *testing.T) {
	ts := newTestServer(t, nil)
	fixture(ts.view)
	for _, proto := range []string{"udp", "tcp"} {
		m := ts.query(proto, "example.com.", mdns.TypeA, 0)
		if m.Rcode != mdns.RcodeRefused || m.RecursionAvailable {
			t.Fatalf("over %s: rcode %s RA %v, want REFUSED without RA", proto, mdns.RcodeToString[m.Rcode], m.RecursionAvailable)
		}
	}
}

// TestResolvConfUpstream: a resolv.conf upstream is read, re-read when it
// changes, and never yields the server's own addresses.
func TestResolvConfUpstream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("search example.org\nnameserver 127.0.0.2\nnameserver 127.0.0.53\noptions ndots:1\n")
	spec, err := parseUpstream([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	u := newUpstreams(spec, zap.NewNop())
	u.exclude(netip.MustParseAddrPort("127.0.0.53:53"))
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:53")}
	if got := u.get(); !slices.Equal(got, want) {
		t.Fatalf("servers = %v, want %v (own address left out)", got, want)
	}
	write("nameserver 127.0.0.3\nnameserver ::1\n")
	if got := u.get(); !slices.Equal(got, want) {
		t.Fatalf("servers re-read within %s: %v", resolvConfRecheck, got)
	}
	u.mu.Lock()
	u.checked = time.Time{} // as if the recheck period had passed
	u.mu.Unlock()
	want = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.3:53"), netip.MustParseAddrPort("[::1]:53")}
	if got := u.get(); !slices.Equal(got, want) {
		t.Fatalf("servers after the change = %v, want %v", got, want)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	u.mu.Lock()
	u.checked = time.Time{}
	u.mu.Unlock()
	if got := u.get(); !slices.Equal(got, want) {
		t.Fatalf("servers once the file is gone = %v, want the last ones %v", got, want)
	}
}

func TestParseUpstream(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string // error substring, "" for success
	}{
		{in: nil},
		{in: []string{""}},
		{in: []string{"/etc/resolv.conf"}},
		{in: []string{"127.0.0.1", "127.0.0.2:5353", "[::1]:53", "::1"}},
		{in: []string{"dns.google"}, want: "IP address"},
		{in: []string{"dns.google:53"}, want: "must be an IP"},
		{in: []string{"127.0.0.1:0"}, want: "port"},
		{in: []string{"127.0.0.1:70000"}, want: "port"},
		{in: []string{"/etc/resolv.conf", "127.0.0.1"}, want: "only upstream"},
		{in: []string{"127.0.0.1", "/etc/resolv.conf"}, want: "only upstream"},
	} {
		_, err := parseUpstream(tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.want != "" && (err == nil || !contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one with %q", tc.in, err, tc.want)
		}
	}
}
