package userspace

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/table"
)

func dialUDP(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ask sends until a reply comes (UDP may drop), and returns who answered.
func ask(t *testing.T, c *net.UDPConn, payload string) string {
	t.Helper()
	var got string
	testutil.Eventually(t, 10*time.Second, func() error {
		r, err := udpAsk(c, payload, 200*time.Millisecond)
		if err != nil {
			return err
		}
		if r == "" {
			return errTimeout
		}
		got = r
		return nil
	})
	name, rest, _ := strings.Cut(got, ":")
	if rest != payload {
		t.Fatalf("reply %q, want the payload %q echoed", got, payload)
	}
	return name
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "no reply" }

var errTimeout = timeoutErr{}

func TestUDPRelay(t *testing.T) {
	fx := newFixture(t, nil)
	a, b := startUDPBackend(t, "a"), startUDPBackend(t, "b")
	svc := service("dns", freePort(t), table.UDP, 0)
	fx.apply(objs(svc, slices("dns", table.UDP, []string{a, b}))...)
	ls := fx.listen("dns", table.UDP)
	if len(ls) != 1 {
		t.Fatalf("listen = %v", ls)
	}
	// Each client is a session pinned to one target; sessions go round
	// robin.
	seen := map[string]string{}
	var clients []*net.UDPConn
	for i := 0; i < 4; i++ {
		c := dialUDP(t, ls[0])
		clients = append(clients, c)
		first := ask(t, c, "q1")
		if again := ask(t, c, "q2"); again != first {
			t.Fatalf("client %d moved from %s to %s within its session", i, first, again)
		}
		seen[c.LocalAddr().String()] = first
	}
	count := map[string]int{}
	for _, n := range seen {
		count[n]++
	}
	if count["a"] != 2 || count["b"] != 2 {
		t.Fatalf("sessions spread %v, want 2 each", count)
	}
	// b is no longer ready: its clients' sessions end and their next
	// datagrams go to a.
	fx.apply(objs(svc, slices("dns", table.UDP, []string{a, b}, b))...)
	for _, c := range clients {
		if got := ask(t, c, "q3"); got != "a" {
			t.Fatalf("after b left, %s answered", got)
		}
	}
	// The ended sessions are counted out when their goroutines finish,
	// which may be just after the new ones started.
	testutil.Eventually(t, 5*time.Second, func() error {
		if n := fx.d.udpSessions.Load(); n != 4 {
			return fmt.Errorf("sessions = %d, want 4", n)
		}
		return nil
	})
	// No targets: datagrams are dropped, counted, and sessions closed.
	fx.apply(svc)
	testutil.Eventually(t, 5*time.Second, func() error {
		if n := fx.d.udpSessions.Load(); n != 0 {
			return errTimeout
		}
		return nil
	})
	if r, err := udpAsk(clients[0], "q4", 200*time.Millisecond); err != nil || r != "" {
		t.Fatalf("reply %q, %v with no targets, want none", r, err)
	}
}

func TestUDPIdleSessionsEnd(t *testing.T) {
	fx := newFixture(t, func(c *Config) { c.UDPIdleTimeout = 2 * time.Second; c.MaxUDPSessions = 1 })
	a := startUDPBackend(t, "a")
	fx.apply(objs(service("dns", freePort(t), table.UDP, 0), slices("dns", table.UDP, []string{a}))...)
	addr := fx.listen("dns", table.UDP)[0]
	c1, c2 := dialUDP(t, addr), dialUDP(t, addr)
	ask(t, c1, "x")
	// The only session is taken: c2 is dropped ...
	if r, _ := udpAsk(c2, "y", 50*time.Millisecond); r != "" {
		t.Fatalf("c2 answered %q over MaxUDPSessions 1", r)
	}
	// ... until c1's session idles out.
	if ask(t, c2, "y") != "a" {
		t.Fatal("c2 not relayed after c1 idled out")
	}
}
