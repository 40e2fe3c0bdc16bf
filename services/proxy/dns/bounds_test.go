package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/testutil"
	mdns "github.com/miekg/dns"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestMaxQueries: beyond MaxQueries in flight, queries are answered
// SERVFAIL at once; once the others finish, they are answered again.
func TestMaxQueries(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxQueries = 2 })
	fixture(ts.view)
	block := make(chan struct{})
	ts.view.block.Store(&block)
	var wg sync.WaitGroup
	results := make(chan int, 2)
	for i := 0; i < 2; i++ {
		wg.Go(func() {
			m, err := ts.exchange("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0)
			if err != nil {
				t.Error(err)
				return
			}
			results <- m.Rcode
		})
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if n := ts.s.inflight.Load(); n != 2 {
			return errors.New("queries not in flight yet")
		}
		return nil
	})
	start := time.Now()
	m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0)
	if m.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("third query: rcode %s, want SERVFAIL", mdns.RcodeToString[m.Rcode])
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("SERVFAIL took %s, want at once", d)
	}
	ts.view.block.Store(nil)
	close(block)
	wg.Wait()
	close(results)
	for rc := range results {
		if rc != mdns.RcodeSuccess {
			t.Errorf("held query: rcode %s", mdns.RcodeToString[rc])
		}
	}
	if m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0); m.Rcode != mdns.RcodeSuccess {
		t.Fatalf("after: rcode %s", mdns.RcodeToString[m.Rcode])
	}
}

// TestMaxUpstreamQueries: beyond MaxUpstreamQueries forwarded queries in
// flight, another one is SERVFAIL at once, while the zone still answers.
func TestMaxUpstreamQueries(t *testing.T) {
	up := newUpstream(t)
	up.holdAnswers()
	ts := newTestServer(t, func(c *Config) { c.Upstream, c.MaxUpstreamQueries = []string{up.addr}, 1 })
	fixture(ts.view)
	held := make(chan *mdns.Msg, 1)
	go func() {
		m, _ := ts.exchange("udp", "held.example.", mdns.TypeA, 0)
		held <- m
	}()
	testutil.Eventually(t, 5*time.Second, func() error {
		if up.queries.Load() != 1 {
			return errors.New("upstream has not seen the first query")
		}
		return nil
	})
	if m := ts.query("udp", "other.example.", mdns.TypeA, 0); m.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("second forwarded query: rcode %s, want SERVFAIL", mdns.RcodeToString[m.Rcode])
	}
	if m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0); len(m.Answer) != 1 {
		t.Fatalf("zone while forwarding is full: %v", m)
	}
	up.release()
	if m := <-held; m == nil || m.Rcode != mdns.RcodeSuccess || len(m.Answer) != 1 {
		t.Fatalf("held query: %v", m)
	}
	if up.queries.Load() != 1 {
		t.Errorf("upstream saw %d queries, want 1", up.queries.Load())
	}
}

// TestMaxTCPConns: a connection beyond MaxTCPConns waits until one closes.
func TestMaxTCPConns(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxTCPConns = 1 })
	fixture(ts.view)
	c := &mdns.Client{Net: "tcp", Timeout: 5 * time.Second}
	first, err := c.Dial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	q := new(mdns.Msg)
	q.SetQuestion("web.default.svc.cluster.local.", mdns.TypeA)
	if _, _, err := c.ExchangeWithConn(q, first); err != nil {
		t.Fatal(err)
	}
	short := &mdns.Client{Net: "tcp", Timeout: 300 * time.Millisecond}
	if _, _, err := short.Exchange(q, ts.addr); err == nil {
		t.Fatal("a second connection was served while the first is open")
	}
	first.Close()
	testutil.Eventually(t, 5*time.Second, func() error {
		_, _, err := short.Exchange(q, ts.addr)
		return err
	})
}

// TestClients: only loopback, Config.Clients and resolved subnets are
// answered.
func TestClients(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Clients = []netip.Prefix{mustPrefix("10.1.0.0/16")} })
	for a, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "::ffff:127.0.0.1": true,
		"10.1.2.3": true, "10.2.0.1": false, "192.0.2.1": false, "2001:db8::1": false,
	} {
		if got := ts.s.clientAllowed(netip.MustParseAddr(a)); got != want {
			t.Errorf("client %s allowed = %v, want %v", a, got, want)
		}
	}
	ts.s.allowClients(mustPrefix("10.2.0.0/24"))
	if !ts.s.clientAllowed(netip.MustParseAddr("10.2.0.1")) {
		t.Error("a resolved subnet is not allowed")
	}
}

// TestResolvedListen: a listen host that is not an IP is served once
// Deps.Resolve returns, and its subnet's clients are allowed.
func TestResolvedListen(t *testing.T) {
	release := make(chan struct{})
	ts := newTestServer(t, func(c *Config) { c.Listen = append(c.Listen, "bridge:0") }, func(d *Deps) {
		d.Resolve = func(ctx context.Context, host string) (netip.Prefix, error) {
			if host != "bridge" {
				return netip.Prefix{}, errors.New("unknown host")
			}
			select {
			case <-release:
			case <-ctx.Done():
				return netip.Prefix{}, ctx.Err()
			}
			return mustPrefix("127.0.0.1/32"), nil
		}
	})
	fixture(ts.view)
	if n := len(ts.s.Addrs()); n != 1 {
		t.Fatalf("%d addresses bound before the host resolved, want 1", n)
	}
	close(release)
	var second netip.AddrPort
	testutil.Eventually(t, 5*time.Second, func() error {
		if a := ts.s.Addrs(); len(a) == 2 {
			second = a[1]
			return nil
		}
		return errors.New("resolved host not bound yet")
	})
	ts.addr = second.String()
	if m := ts.query("udp", "web.default.svc.cluster.local.", mdns.TypeA, 0); len(m.Answer) != 1 {
		t.Fatalf("on the resolved address: %v", m)
	}
}

// TestFreeBind: an address the host does not have is bound all the same
// (the bridge gets its address with the node's first pod).
func TestFreeBind(t *testing.T) {
	if freeBind == nil {
		t.Skip("no IP_FREEBIND on this system")
	}
	ln, err := bind(netip.MustParseAddrPort("192.0.2.53:0"), zapNop())
	if err != nil {
		t.Fatalf("bind of an address not on this host: %v", err)
	}
	ln.close()
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*Config)
		want   string
	}{
		{mutate: func(c *Config) { c.Listen = nil }, want: "listen: at least one"},
		{mutate: func(c *Config) { c.Listen = []string{"0.0.0.0:53"} }, want: "unspecified"},
		{mutate: func(c *Config) { c.Listen = []string{"[::]:53"} }, want: "unspecified"},
		{mutate: func(c *Config) { c.Listen = []string{"127.0.0.1"} }, want: "missing port"},
		{mutate: func(c *Config) { c.Listen = []string{":53"} }, want: "host is required"},
		{mutate: func(c *Config) { c.Listen = []string{"bridge:53"} }, want: "must be an IP"},
		{mutate: func(c *Config) { c.Zone = "" }, want: "zone"},
		{mutate: func(c *Config) { c.Zone = "bad..name" }, want: "zone"},
		{mutate: func(c *Config) { c.TTL = 0 }, want: "ttl"},
		{mutate: func(c *Config) { c.Upstream = []string{"dns.google"} }, want: "upstream"},
		{mutate: func(c *Config) { c.MaxUDPSize = 100 }, want: "max UDP size"},
		{mutate: func(c *Config) { c.MaxQueries = 0 }, want: "must be positive"},
	} {
		cfg := DefaultConfig()
		cfg.Listen = []string{"127.0.0.1:0"}
		tc.mutate(&cfg)
		_, err := New(cfg, Deps{View: &fakeView{}}, nil)
		if err == nil || !errors.Is(err, ErrConfig) || !contains(err.Error(), tc.want) {
			t.Errorf("error %v, want ErrConfig with %q", err, tc.want)
		}
	}
	cfg := DefaultConfig()
	cfg.Listen, cfg.Zone = []string{"127.0.0.1:0"}, "Cluster.Local."
	s, err := New(cfg, Deps{View: &fakeView{}}, nil)
	if err != nil || s.Zone() != "cluster.local" {
		t.Fatalf("zone %q, %v: want cluster.local", s.Zone(), err)
	}
}

// TestListenBusy: a taken address fails Listen with the address named.
func TestListenBusy(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cfg := DefaultConfig()
	cfg.Listen = []string{pc.LocalAddr().String()}
	s, err := New(cfg, Deps{View: &fakeView{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err == nil || !contains(err.Error(), pc.LocalAddr().String()) {
		t.Fatalf("Listen = %v, want an error naming %s", err, pc.LocalAddr())
	}
}
