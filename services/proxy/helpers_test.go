package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// env is an in-process cluster with one proxy.
type env struct {
	t      *testing.T
	api    *client.Client
	p      *Proxy
	routes gantryv1.ProxyServiceClient
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	cl := testutil.NewCluster(t, 1)
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	ccfg := client.DefaultConfig()
	ccfg.Servers = []string{cl.Members[0].Cfg.Listen}
	c, err := client.New(ccfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	cfg := DefaultConfig()
	cfg.NodeName, cfg.Mode = "n1", ModeUserspace
	cfg.Listen, cfg.HTTPListen = testutil.FreeAddr(t), testutil.FreeAddr(t)
	cfg.MinSyncPeriod = 10 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg, Deps{Client: c}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("proxy did not stop within 10s")
		}
	})
	conn, err := grpc.NewClient(cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &env{t: t, api: c, p: p, routes: gantryv1.NewProxyServiceClient(conn)}
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	e.t.Cleanup(cancel)
	return ctx
}

func (e *env) create(m proto.Message) {
	e.t.Helper()
	if _, err := e.api.Create(e.ctx(), apimeta.Wrap(m)); err != nil {
		e.t.Fatalf("create: %v", err)
	}
}

// update writes m over the stored object (read first for its version).
func (e *env) update(m proto.Message) {
	e.t.Helper()
	o := apimeta.Wrap(m)
	meta := apimeta.Meta(o)
	cur, err := e.api.Get(e.ctx(), apimeta.KindOf(o), meta.GetNamespace(), meta.GetName())
	if err != nil {
		e.t.Fatalf("get: %v", err)
	}
	meta.ResourceVersion = apimeta.Meta(cur).GetResourceVersion()
	if _, err := e.api.Update(e.ctx(), o); err != nil {
		e.t.Fatalf("update: %v", err)
	}
}

func (e *env) delete(kind, name string) {
	e.t.Helper()
	if _, err := e.api.Delete(e.ctx(), &gantryv1.DeleteRequest{Kind: kind, Namespace: "default", Name: name}); err != nil {
		e.t.Fatalf("delete %s %s: %v", kind, name, err)
	}
}

// route returns the one route of service name (nil if none).
func (e *env) route(name string) (*gantryv1.ServiceRoute, error) {
	resp, err := e.routes.Routes(e.ctx(), &gantryv1.RoutesRequest{Namespace: "default", Name: name})
	if err != nil {
		return nil, err
	}
	switch len(resp.GetRoutes()) {
	case 0:
		return nil, nil
	case 1:
		return resp.GetRoutes()[0], nil
	}
	return nil, fmt.Errorf("%d routes for %s", len(resp.GetRoutes()), name)
}

func webService(port, nodePort uint16) *gantryv1.Service {
	return &gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: &gantryv1.ServiceSpec{Type: table.TypeNodePort, ClusterIp: "10.96.7.7", Selector: map[string]string{"app": "web"},
			Ports: []*gantryv1.ServicePort{{Name: "http", Protocol: "TCP", Port: int32(port), NodePort: int32(nodePort)}}},
	}
}

// backendSlice is the slice of one backend (backends differ in port, as
// pods resolving a named target port differently would).
func backendSlice(name, addr string, ready bool) *gantryv1.EndpointSlice {
	ap := netip.MustParseAddrPort(addr)
	pn, proto, port := "http", "TCP", int32(ap.Port())
	node := "n1"
	return &gantryv1.EndpointSlice{
		Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{table.ServiceNameLabel: "web"}},
		AddressType: "IPv4",
		Ports:       []*gantryv1.EndpointPort{{Name: &pn, Protocol: &proto, Port: &port}},
		Endpoints: []*gantryv1.Endpoint{{Addresses: []string{ap.Addr().String()}, NodeName: &node,
			Conditions: &gantryv1.EndpointConditions{Ready: &ready, Serving: &ready}}},
	}
}

// freeNodePort returns a port in the NodePort range that was free a moment
// ago.
func freeNodePort(t *testing.T) uint16 {
	t.Helper()
	for i := 0; i < 200; i++ {
		p := uint16(30000 + rand.IntN(2768))
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no free port in 30000-32767")
	return 0
}

func freePort(t *testing.T) uint16 {
	return netip.MustParseAddrPort(testutil.FreeAddr(t)).Port()
}

// backend answers each connection with its name and a newline, then
// echoes until the client closes.
type backend struct {
	name string
	ln   net.Listener
	mu   sync.Mutex
	hits int
}

func startBackend(t *testing.T, name string) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.hits++
			b.mu.Unlock()
			go func() {
				defer c.Close()
				fmt.Fprintln(c, name)
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

// hello dials addr and returns the name of the backend that answered.
func hello(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}
