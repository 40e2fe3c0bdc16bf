package nftables

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap"
)

// bigTables are n services of one TCP port with eps ready endpoints each,
// and the same with one endpoint of service n/2 not ready.
func bigTables(n, eps int) (*table.Table, *table.Table) {
	yes, no := true, false
	name, proto, port := "http", "TCP", int32(8080)
	var svcs []*gantryv1.Service
	var sls []*gantryv1.EndpointSlice
	for i := 0; i < n; i++ {
		sname := fmt.Sprintf("svc-%d", i)
		svcs = append(svcs, &gantryv1.Service{
			Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: sname},
			Spec: &gantryv1.ServiceSpec{ClusterIp: fmt.Sprintf("10.96.%d.%d", i/256, i%256),
				Ports: []*gantryv1.ServicePort{{Name: name, Protocol: proto, Port: 80}}},
		})
		sl := &gantryv1.EndpointSlice{
			Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: sname + "-x", Labels: map[string]string{table.ServiceNameLabel: sname}},
			AddressType: "IPv4",
			Ports:       []*gantryv1.EndpointPort{{Name: &name, Protocol: &proto, Port: &port}},
		}
		for j := 0; j < eps; j++ {
			sl.Endpoints = append(sl.Endpoints, &gantryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 1+j, i/256, i%256)},
				Conditions: &gantryv1.EndpointConditions{Ready: &yes}})
		}
		sls = append(sls, sl)
	}
	a := table.Build(svcs, sls)
	changed := slices.Clone(sls)
	c := &gantryv1.EndpointSlice{Metadata: sls[n/2].Metadata, AddressType: "IPv4", Ports: sls[n/2].Ports,
		Endpoints: slices.Clone(sls[n/2].Endpoints)}
	c.Endpoints[3] = &gantryv1.Endpoint{Addresses: c.Endpoints[3].Addresses, Conditions: &gantryv1.EndpointConditions{Ready: &no}}
	changed[n/2] = c
	return a, table.Build(svcs, changed)
}

// benchDP is a dataplane in a fresh namespace of the benchmark's own.
func benchDP(b *testing.B) *Dataplane {
	needRoot(b)
	name := fmt.Sprintf("gbench-%d", time.Now().UnixNano()%1e9)
	run(b, "ip", "netns", "add", name)
	b.Cleanup(func() { run(b, "ip", "netns", "del", name) })
	cfg := DefaultConfig()
	cfg.Table, cfg.NetNS = "gantry-proxy-bench", "/var/run/netns/"+name
	d, err := New(cfg, nil, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	return d
}

func mustApply(b *testing.B, d *Dataplane, old, next *table.Table) {
	if err := d.Apply(context.Background(), table.Diff(old, next)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkInitialSync programs 1,000 services x 10 endpoints into an
// empty table: one op is Apply from its call until the kernel has
// committed the transaction.
func BenchmarkInitialSync(b *testing.B) {
	d := benchDP(b)
	big, _ := bigTables(1000, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustApply(b, d, nil, big)
		b.StopTimer()
		mustApply(b, d, big, nil)
		b.StartTimer()
	}
}

// BenchmarkEndpointChange is one endpoint turning not ready (and back) at
// 1,000 services x 10 endpoints: one op is one Apply, call to commit.
func BenchmarkEndpointChange(b *testing.B) {
	d := benchDP(b)
	big, changed := bigTables(1000, 10)
	mustApply(b, d, nil, big)
	tables := [2]*table.Table{big, changed}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustApply(b, d, tables[i%2], tables[(i+1)%2])
	}
}

// BenchmarkRequest is one request (connect, read the answer line, close)
// from a pod to a backend on the same bridge, straight to the pod's IP and
// through the cluster IP: the difference is what DNAT, conntrack and
// masquerade add. Run it bounded, e.g. -benchtime=2000x.
func BenchmarkRequest(b *testing.B) {
	l := newLab(b, 1)
	client := l.addPod("c", netipAddr("10.244.0.20"), false)
	mustApply(b, l.newDP(), nil, tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods}))
	for _, c := range []struct{ name, addr string }{
		{"pod-ip", l.pods[0].ip.String() + fmt.Sprintf(":%d", tcpPort)},
		{"cluster-ip", svcAddr80},
	} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			err := inNS(client.name, func() error {
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					conn, err := net.DialTimeout("tcp4", c.addr, 3*time.Second)
					if err != nil {
						return err
					}
					_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
					if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
						conn.Close()
						return err
					}
					conn.Close()
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
