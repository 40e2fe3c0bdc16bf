package dns

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
	mdns "github.com/miekg/dns"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// fakeView serves a table built from the objects a test sets; block, when
// set, holds Table() until it is closed (to keep queries in flight).
type fakeView struct {
	t     atomic.Pointer[table.Table]
	block atomic.Pointer[chan struct{}]
}

func (v *fakeView) Table() *table.Table {
	if b := v.block.Load(); b != nil {
		<-*b
	}
	return v.t.Load()
}

func (v *fakeView) set(svcs []*gantryv1.Service, sls []*gantryv1.EndpointSlice) {
	v.t.Store(table.Build(svcs, sls))
}

func svc(ns, name, ip string, ports ...*gantryv1.ServicePort) *gantryv1.Service {
	return &gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: ns, Name: name},
		Spec: &gantryv1.ServiceSpec{ClusterIp: ip, Ports: ports}}
}

func port(name, proto string, p int32) *gantryv1.ServicePort {
	return &gantryv1.ServicePort{Name: name, Protocol: proto, Port: p}
}

func sport(name, proto string, p int32) *gantryv1.EndpointPort {
	return &gantryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &p}
}

// ep is one endpoint: ip, conditions and hostname.
type ep struct {
	ip                 string
	ready, terminating bool
	host               string
}

func slice(ns, svcName string, ports []*gantryv1.EndpointPort, eps ...ep) *gantryv1.EndpointSlice {
	sl := &gantryv1.EndpointSlice{
		Metadata:    &gantryv1.ObjectMeta{Namespace: ns, Name: svcName + "-x", Labels: map[string]string{table.ServiceNameLabel: svcName}},
		AddressType: "IPv4", Ports: ports,
	}
	for _, e := range eps {
		ready, term := e.ready, e.terminating
		sl.Endpoints = append(sl.Endpoints, &gantryv1.Endpoint{Addresses: []string{e.ip}, Hostname: e.host,
			Conditions: &gantryv1.EndpointConditions{Ready: &ready, Serving: &ready, Terminating: &term}})
	}
	return sl
}

// fixture is the cluster most tests query:
//
//	default/web   ClusterIP 10.96.0.10, ports http/TCP 80, dns/UDP 53, unnamed 8080
//	default/db    headless, port pg/TCP 5432 -> endpoints 10.244.1.5 (web-0, ready),
//	              10.244.1.6 (ready, no hostname), 10.244.1.7 (not ready), 10.244.1.8 (terminating)
//	default/empty headless, no endpoints
//	default/new   ClusterIP not allocated yet
//	other/api     ClusterIP 10.96.0.11, port grpc/TCP 9000
func fixture(v *fakeView) {
	v.set([]*gantryv1.Service{
		svc("default", "web", "10.96.0.10", port("http", "TCP", 80), port("dns", "UDP", 53), port("", "TCP", 8080)),
		svc("default", "db", "None", port("pg", "TCP", 5432)),
		svc("default", "empty", "None", port("pg", "TCP", 5432)),
		svc("default", "new", ""),
		svc("other", "api", "10.96.0.11", port("grpc", "TCP", 9000)),
	}, []*gantryv1.EndpointSlice{
		slice("default", "db", []*gantryv1.EndpointPort{sport("pg", "TCP", 15432)},
			ep{ip: "10.244.1.5", ready: true, host: "web-0"}, ep{ip: "10.244.1.6", ready: true},
			ep{ip: "10.244.1.7"}, ep{ip: "10.244.1.8", ready: true, terminating: true}),
	})
}

// testServer runs a server on 127.0.0.1 (a free port) for the test.
type testServer struct {
	t    *testing.T
	s    *Server
	view *fakeView
	addr string
}

func newTestServer(t *testing.T, mutate func(*Config), deps ...func(*Deps)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen, cfg.Upstream = []string{"127.0.0.1:0"}, nil
	if mutate != nil {
		mutate(&cfg)
	}
	v := &fakeView{}
	d := Deps{View: v}
	for _, f := range deps {
		f(&d)
	}
	s, err := New(cfg, d, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop within 10s")
		}
	})
	addrs := s.Addrs()
	if len(addrs) == 0 {
		t.Fatal("no address bound")
	}
	return &testServer{t: t, s: s, view: v, addr: addrs[0].String()}
}

// query asks name/qtype over proto ("udp", "tcp"); edns > 0 adds an OPT
// record with that buffer size.
func (ts *testServer) query(proto, name string, qtype uint16, edns uint16) *mdns.Msg {
	ts.t.Helper()
	m, err := ts.exchange(proto, name, qtype, edns)
	if err != nil {
		ts.t.Fatalf("%s %s over %s: %v", name, mdns.TypeToString[qtype], proto, err)
	}
	return m
}

func (ts *testServer) exchange(proto, name string, qtype uint16, edns uint16) (*mdns.Msg, error) {
	q := new(mdns.Msg)
	q.SetQuestion(name, qtype)
	if edns > 0 {
		q.SetEdns0(edns, false)
	}
	c := &mdns.Client{Net: proto, Timeout: 5 * time.Second, UDPSize: mdns.MaxMsgSize}
	m, _, err := c.Exchange(q, ts.addr)
	return m, err
}

// rrs renders a section as "name TTL TYPE data" lines without the class.
func rrs(section []mdns.RR) []string {
	out := []string{}
	for _, rr := range section {
		h := rr.Header()
		data := rr.String()[len(h.String()):]
		out = append(out, fmt.Sprintf("%s %d %s %s", h.Name, h.Ttl, mdns.TypeToString[h.Rrtype], data))
	}
	return out
}

// upstream is a test resolver on 127.0.0.1 answering every A question
// with 192.0.2.1; hold, when set, blocks answers until closed.
type upstream struct {
	addr    string
	queries atomic.Int64
	mu      sync.Mutex
	hold    chan struct{}
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	ln, err := bindWith(netip.MustParseAddrPort("127.0.0.1:0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		u.queries.Add(1)
		u.mu.Lock()
		hold := u.hold
		u.mu.Unlock()
		if hold != nil {
			<-hold
		}
		m := new(mdns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		if r.Question[0].Qtype == mdns.TypeA {
			a, _ := mdns.NewRR(r.Question[0].Name + " 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, a)
		}
		_ = w.WriteMsg(m)
	})
	for _, srv := range []*mdns.Server{{PacketConn: ln.udp, Handler: h}, {Listener: ln.tcp, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("upstream did not start")
		}
		t.Cleanup(func() {
			u.release()
			_ = srv.Shutdown()
		})
	}
	u.addr = ln.addr.String()
	return u
}

func (u *upstream) holdAnswers() {
	u.mu.Lock()
	u.hold = make(chan struct{})
	u.mu.Unlock()
}

func (u *upstream) release() {
	u.mu.Lock()
	if u.hold != nil {
		close(u.hold)
		u.hold = nil
	}
	u.mu.Unlock()
}

func zapNop() *zap.Logger { return zap.NewNop() }

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
