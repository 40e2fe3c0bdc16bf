package dns

import (
	"context"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
	mdns "github.com/miekg/dns"
)

// benchCluster is n ClusterIP services of one port with eps endpoints each.
func benchCluster(n, eps int) *table.Table {
	var svcs []*gantryv1.Service
	var sls []*gantryv1.EndpointSlice
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%d", i)
		svcs = append(svcs, svc("default", name, fmt.Sprintf("10.96.%d.%d", i/256, i%256), port("http", "TCP", 80)))
		var e []ep
		for j := 0; j < eps; j++ {
			e = append(e, ep{ip: fmt.Sprintf("10.%d.%d.%d", 1+j, i/256, i%256), ready: true})
		}
		sl := slice("default", name, []*gantryv1.EndpointPort{sport("http", "TCP", 8080)}, e...)
		sls = append(sls, sl)
	}
	return table.Build(svcs, sls)
}

// BenchmarkIndex: the per-table index, built once per table change on
// the first query after it, at 1,000 services and 10,000 endpoints.
func BenchmarkIndex(b *testing.B) {
	t := benchCluster(1000, 10)
	for b.Loop() {
		buildIndex(t, "cluster.local")
	}
}

// BenchmarkQueryUDP: one client asking A records over loopback UDP, one
// query at a time, of a zone of 1,000 services.
func BenchmarkQueryUDP(b *testing.B) {
	ts := newBenchServer(b)
	c := &mdns.Client{Timeout: 2 * time.Second}
	conn, err := c.Dial(ts)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	i := 0
	for b.Loop() {
		q := new(mdns.Msg)
		q.SetQuestion(fmt.Sprintf("svc-%d.default.svc.cluster.local.", i%1000), mdns.TypeA)
		i++
		m, _, err := c.ExchangeWithConn(q, conn)
		if err != nil || len(m.Answer) != 1 {
			b.Fatalf("%v %v", m, err)
		}
	}
}

// BenchmarkQueryUDPParallel: as many clients as GOMAXPROCS, each with
// its own socket.
func BenchmarkQueryUDPParallel(b *testing.B) {
	ts := newBenchServer(b)
	b.RunParallel(func(pb *testing.PB) {
		c := &mdns.Client{Timeout: 2 * time.Second}
		conn, err := c.Dial(ts)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		i := 0
		for pb.Next() {
			q := new(mdns.Msg)
			q.SetQuestion(fmt.Sprintf("svc-%d.default.svc.cluster.local.", i%1000), mdns.TypeA)
			i++
			if m, _, err := c.ExchangeWithConn(q, conn); err != nil || len(m.Answer) != 1 {
				b.Errorf("%v %v", m, err)
				return
			}
		}
	})
}

func newBenchServer(b *testing.B) string {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Listen, cfg.Upstream = []string{"127.0.0.1:0"}, nil
	v := &fakeView{}
	v.t.Store(benchCluster(1000, 10))
	s, err := New(cfg, Deps{View: v}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	return s.Addrs()[0].String()
}
