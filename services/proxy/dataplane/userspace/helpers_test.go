package userspace

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap/zaptest"
)

// fixture is a dataplane fed tables built from test objects.
type fixture struct {
	t   testing.TB
	d   *Dataplane
	cur *table.Table
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DialTimeout = time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	d, err := New(cfg, nil, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return &fixture{t: t, d: d}
}

// apply makes the dataplane carry the table of objs (Services and
// EndpointSlices).
func (fx *fixture) apply(objs ...any) {
	fx.t.Helper()
	if err := fx.tryApply(objs...); err != nil {
		fx.t.Fatalf("Apply: %v", err)
	}
}

func (fx *fixture) tryApply(objs ...any) error {
	var svcs []*gantryv1.Service
	var sls []*gantryv1.EndpointSlice
	for _, o := range objs {
		switch v := o.(type) {
		case *gantryv1.Service:
			svcs = append(svcs, v)
		case *gantryv1.EndpointSlice:
			sls = append(sls, v)
		}
	}
	next := table.Build(svcs, sls)
	err := fx.d.Apply(context.Background(), table.Diff(fx.cur, next))
	if err == nil {
		fx.cur = next
	}
	return err
}

// listen returns where the route of service name's single port listens.
func (fx *fixture) listen(name string, proto table.Protocol) []string {
	k := table.PortKey{ServiceKey: table.ServiceKey{Namespace: "default", Name: name}, Protocol: proto}
	return fx.d.RouteStatus(k).Listen
}

func service(name string, port uint16, proto table.Protocol, nodePort uint16) *gantryv1.Service {
	s := &gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		Spec: &gantryv1.ServiceSpec{ClusterIp: "10.96.0.10",
			Ports: []*gantryv1.ServicePort{{Protocol: string(proto), Port: int32(port), NodePort: int32(nodePort)}}},
	}
	if nodePort != 0 {
		s.Spec.Type = table.TypeNodePort
	}
	return s
}

// slices returns one slice per backend (each backend has its own port).
func slices(svc string, proto table.Protocol, backends []string, notReady ...string) []any {
	var out []any
	for i, b := range backends {
		ap := netip.MustParseAddrPort(b)
		p, pr := int32(ap.Port()), string(proto)
		ready := true
		for _, n := range notReady {
			if n == b {
				ready = false
			}
		}
		out = append(out, &gantryv1.EndpointSlice{
			Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("%s-%d", svc, i), Labels: map[string]string{table.ServiceNameLabel: svc}},
			AddressType: "IPv4",
			Ports:       []*gantryv1.EndpointPort{{Protocol: &pr, Port: &p, Name: new(string)}},
			Endpoints:   []*gantryv1.Endpoint{{Addresses: []string{ap.Addr().String()}, Conditions: &gantryv1.EndpointConditions{Ready: &ready}}},
		})
	}
	return out
}

// objs flattens objects and lists of objects.
func objs(parts ...any) []any {
	var out []any
	for _, p := range parts {
		if l, ok := p.([]any); ok {
			out = append(out, l...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) uint16 {
	ap := netip.MustParseAddrPort(testutil.FreeAddr(t))
	return ap.Port()
}

// tcpBackend answers each connection with its name and a newline, then
// echoes lines until the client closes.
type tcpBackend struct {
	name string
	ln   net.Listener
	mu   sync.Mutex
	hits int
	wg   sync.WaitGroup
}

func startTCPBackend(t *testing.T, name string) *tcpBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &tcpBackend{name: name, ln: ln}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.hits++
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				fmt.Fprintln(c, name)
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { b.close() })
	return b
}

func (b *tcpBackend) addr() string { return b.ln.Addr().String() }

func (b *tcpBackend) close() { _ = b.ln.Close() }

func (b *tcpBackend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits
}

// hello dials addr and returns the backend's name and the open connection.
func hello(addr string) (string, net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", nil, err
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		return "", nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return strings.TrimSpace(line), c, nil
}

// helloOnce is hello, closing the connection.
func helloOnce(t *testing.T, addr string) string {
	t.Helper()
	name, c, err := hello(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c.Close()
	return name
}

// udpBackend answers each datagram with "name:payload".
func startUDPBackend(t *testing.T, name string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo([]byte(name+":"+string(buf[:n])), from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String()
}

// udpAsk sends payload from c and returns the reply ("" on timeout).
func udpAsk(c *net.UDPConn, payload string, wait time.Duration) (string, error) {
	if _, err := c.Write([]byte(payload)); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "", nil
	}
	return string(buf[:n]), err
}

// terminating marks a slice's endpoint terminating but still serving.
func terminating(sl any) any {
	s := sl.(*gantryv1.EndpointSlice)
	f, t := false, true
	s.Endpoints[0].Conditions = &gantryv1.EndpointConditions{Ready: &f, Serving: &t, Terminating: &t}
	return s
}
