package userspace

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/table"
)

func TestTCPRoundRobinReachesAll(t *testing.T) {
	fx := newFixture(t, nil)
	a, b, c := startTCPBackend(t, "a"), startTCPBackend(t, "b"), startTCPBackend(t, "c")
	port := freePort(t)
	fx.apply(objs(service("web", port, table.TCP, 0), slices("web", table.TCP, []string{a.addr(), b.addr(), c.addr()}))...)
	ls := fx.listen("web", table.TCP)
	want := net.JoinHostPort("127.0.0.1", itoa(port))
	if len(ls) != 1 || ls[0] != want {
		t.Fatalf("listen = %v, want [%s] (the service's own port)", ls, want)
	}
	got := map[string]int{}
	for i := 0; i < 30; i++ {
		got[helloOnce(t, ls[0])]++
	}
	if got["a"] != 10 || got["b"] != 10 || got["c"] != 10 {
		t.Fatalf("30 connections spread %v, want 10 each (round robin)", got)
	}
}

func TestTCPRemovedEndpoint(t *testing.T) {
	fx := newFixture(t, nil)
	a, b := startTCPBackend(t, "a"), startTCPBackend(t, "b")
	svc := service("web", freePort(t), table.TCP, 0)
	fx.apply(objs(svc, slices("web", table.TCP, []string{a.addr(), b.addr()}))...)
	addr := fx.listen("web", table.TCP)[0]
	// Hold one connection open to each backend.
	open := map[string]net.Conn{}
	for len(open) < 2 {
		name, c, err := hello(addr)
		if err != nil {
			t.Fatal(err)
		}
		if open[name] != nil {
			c.Close()
			continue
		}
		open[name] = c
		defer c.Close()
	}
	// b becomes not ready.
	fx.apply(objs(svc, slices("web", table.TCP, []string{a.addr(), b.addr()}, b.addr()))...)
	// Its open connection is closed ...
	_ = open["b"].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open["b"].Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("connection to the removed endpoint: read err = %v, want it closed", err)
	}
	// ... a's still works ...
	if _, err := open["a"].Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	_ = open["a"].SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 5)
	if _, err := open["a"].Read(buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("connection to the remaining endpoint: %q, %v", buf, err)
	}
	// ... and no new connection reaches b.
	before := b.count()
	for i := 0; i < 10; i++ {
		if name := helloOnce(t, addr); name != "a" {
			t.Fatalf("connection %d reached %s after it was removed", i, name)
		}
	}
	if b.count() != before {
		t.Fatalf("b accepted %d new connections after removal", b.count()-before)
	}
}

func TestTCPNoTargetsRefusedAtOnce(t *testing.T) {
	fx := newFixture(t, nil)
	a := startTCPBackend(t, "a")
	svc := service("web", freePort(t), table.TCP, 0)
	fx.apply(objs(svc, slices("web", table.TCP, []string{a.addr()}))...)
	addr := fx.listen("web", table.TCP)[0]
	if helloOnce(t, addr) != "a" {
		t.Fatal("not proxied")
	}
	// The last endpoint goes away: its slice is deleted.
	fx.apply(svc)
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatal("dial succeeded with no endpoints")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after %s: %v, want connection refused at once", time.Since(start), err)
	}
	// The route keeps its address; endpoints coming back are served there.
	fx.apply(objs(svc, slices("web", table.TCP, []string{a.addr()}))...)
	if got := fx.listen("web", table.TCP); len(got) != 1 || got[0] != addr {
		t.Fatalf("listen = %v, want %s again", got, addr)
	}
	if helloOnce(t, addr) != "a" {
		t.Fatal("not proxied after the endpoint came back")
	}
}

func TestTCPNewRouteWithoutTargetsRefuses(t *testing.T) {
	fx := newFixture(t, nil)
	fx.apply(service("web", freePort(t), table.TCP, 0))
	addr := fx.listen("web", table.TCP)[0]
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatal("dial succeeded with no endpoints")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v, want connection refused", err)
	}
}

func TestTCPDialFailureTriesNextTarget(t *testing.T) {
	fx := newFixture(t, nil)
	a := startTCPBackend(t, "a")
	dead := startTCPBackend(t, "dead")
	deadAddr := dead.addr()
	dead.close() // ready in the slice, but refuses
	fx.apply(objs(service("web", freePort(t), table.TCP, 0), slices("web", table.TCP, []string{a.addr(), deadAddr}))...)
	addr := fx.listen("web", table.TCP)[0]
	for i := 0; i < 6; i++ {
		if name := helloOnce(t, addr); name != "a" {
			t.Fatalf("connection %d reached %q", i, name)
		}
	}
}

func TestTCPServicePortCollision(t *testing.T) {
	fx := newFixture(t, nil)
	a, b := startTCPBackend(t, "a"), startTCPBackend(t, "b")
	port := freePort(t)
	fx.apply(objs(service("one", port, table.TCP, 0), slices("one", table.TCP, []string{a.addr()}),
		service("two", port, table.TCP, 0), slices("two", table.TCP, []string{b.addr()}))...)
	one, two := fx.listen("one", table.TCP), fx.listen("two", table.TCP)
	if len(one) != 1 || len(two) != 1 || one[0] == two[0] {
		t.Fatalf("listen one=%v two=%v, want two different addresses", one, two)
	}
	if one[0] != net.JoinHostPort("127.0.0.1", itoa(port)) {
		t.Fatalf("one (first by key) listens on %s, want its own port %d", one[0], port)
	}
	if helloOnce(t, one[0]) != "a" || helloOnce(t, two[0]) != "b" {
		t.Fatal("services answered by the wrong backends")
	}
	// A port another process holds is not an error either.
	held, err := net.Listen("tcp", testutil.FreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	hp := uint16(held.Addr().(*net.TCPAddr).Port)
	fx.apply(objs(service("one", port, table.TCP, 0), slices("one", table.TCP, []string{a.addr()}),
		service("three", hp, table.TCP, 0), slices("three", table.TCP, []string{b.addr()}))...)
	three := fx.listen("three", table.TCP)
	if len(three) != 1 || three[0] == held.Addr().String() || helloOnce(t, three[0]) != "b" {
		t.Fatalf("three listens on %v", three)
	}
}

func TestTCPNodePortSharedByProxies(t *testing.T) {
	fx1, fx2 := newFixture(t, nil), newFixture(t, nil)
	a := startTCPBackend(t, "a")
	np := freePort(t)
	for _, fx := range []*fixture{fx1, fx2} {
		fx.apply(objs(service("web", freePort(t), table.TCP, np), slices("web", table.TCP, []string{a.addr()}))...)
		ls := fx.listen("web", table.TCP)
		if len(ls) != 2 || ls[1] != net.JoinHostPort("127.0.0.1", itoa(np)) {
			t.Fatalf("listen = %v, want the service port and node port %d", ls, np)
		}
	}
	for i := 0; i < 4; i++ {
		if helloOnce(t, net.JoinHostPort("127.0.0.1", itoa(np))) != "a" {
			t.Fatal("node port not proxied")
		}
	}
	// One proxy stops; the other still serves the node port.
	_ = fx1.d.Close()
	for i := 0; i < 4; i++ {
		if helloOnce(t, net.JoinHostPort("127.0.0.1", itoa(np))) != "a" {
			t.Fatal("node port not proxied after one proxy closed")
		}
	}
}

func TestTCPMaxConns(t *testing.T) {
	fx := newFixture(t, func(c *Config) { c.MaxConns = 1 })
	a := startTCPBackend(t, "a")
	fx.apply(objs(service("web", freePort(t), table.TCP, 0), slices("web", table.TCP, []string{a.addr()}))...)
	addr := fx.listen("web", table.TCP)[0]
	_, held, err := hello(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := hello(addr); err == nil {
		t.Fatal("a second connection was relayed over MaxConns 1")
	}
	held.Close()
	testutil.Eventually(t, 5*time.Second, func() error {
		_, c, err := hello(addr)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func TestCloseEndsEverything(t *testing.T) {
	fx := newFixture(t, nil)
	a := startTCPBackend(t, "a")
	fx.apply(objs(service("web", freePort(t), table.TCP, 0), slices("web", table.TCP, []string{a.addr()}))...)
	addr := fx.listen("web", table.TCP)[0]
	_, c, err := hello(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := fx.d.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("read after Close: %v, want the connection closed", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("dial after Close succeeded")
	}
	if err := fx.tryApply(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply after Close = %v, want ErrClosed", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

func TestTCPTerminatingEndpointDrains(t *testing.T) {
	fx := newFixture(t, nil)
	a, b := startTCPBackend(t, "a"), startTCPBackend(t, "b")
	svc := service("web", freePort(t), table.TCP, 0)
	fx.apply(objs(svc, slices("web", table.TCP, []string{a.addr(), b.addr()}))...)
	addr := fx.listen("web", table.TCP)[0]
	var held net.Conn
	for held == nil {
		name, c, err := hello(addr)
		if err != nil {
			t.Fatal(err)
		}
		if name == "b" {
			held = c
		} else {
			c.Close()
		}
	}
	defer held.Close()
	echo := func() error {
		if _, err := held.Write([]byte("x\n")); err != nil {
			return err
		}
		_ = held.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := held.Read(make([]byte, 2))
		return err
	}
	// b terminates but still serves: it keeps its connection, takes no
	// new one.
	sls := slices("web", table.TCP, []string{a.addr(), b.addr()})
	sls[1] = terminating(sls[1])
	fx.apply(objs(svc, sls)...)
	if err := echo(); err != nil {
		t.Fatalf("draining connection: %v", err)
	}
	for i := 0; i < 6; i++ {
		if name := helloOnce(t, addr); name != "a" {
			t.Fatalf("new connection %d reached %s while it terminates", i, name)
		}
	}
	// b is gone from the slice: its connection is closed.
	fx.apply(objs(svc, slices("web", table.TCP, []string{a.addr()}))...)
	_ = held.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := held.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("read after b left: %v, want the connection closed", err)
	}
}
