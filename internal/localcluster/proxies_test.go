package localcluster

import (
	"testing"
	"time"
)

// Every node gets a proxy named after it, on its own ports (7601, 7603
// from the default base) and its own loopback address for service ports;
// a node added later gets one too.
func TestProxiesBesideNodes(t *testing.T) {
	c := newTestCluster(t, func(c *Config) {
		c.Workers = Workers{Nodes: 2, Proxies: true, ProxyMode: "userspace", ProxyArgs: []string{"--min-sync-period", "1s"}}
	})
	ps := c.Proxies()
	if len(ps) != 2 {
		t.Fatalf("%d proxies, want 2", len(ps))
	}
	for i, want := range []struct{ node, grpc, addr string }{
		{"n1", "127.0.0.1:7601", "127.0.10.1"},
		{"n2", "127.0.0.1:7603", "127.0.10.2"},
	} {
		p := ps[i]
		args := p.Proc.Args
		if p.Node != want.node || p.GRPC != want.grpc || p.ServiceAddress != want.addr || p.NodePortAddress != "127.0.0.1" ||
			args[0] != "proxy" || flag(args, "--node") != want.node || flag(args, "--mode") != "userspace" ||
			flag(args, "--userspace-address") != want.addr || flag(args, "--listen") != want.grpc ||
			flag(args, "--min-sync-period") != "1s" {
			t.Fatalf("proxy %d: %+v, args %v", i, p, args)
		}
	}
	if c.WorkerAddrs()["proxy-n2"] != "127.0.0.1:7603" {
		t.Fatalf("WorkerAddrs = %v", c.WorkerAddrs())
	}
	n3, err := c.AddNode()
	if err != nil {
		t.Fatal(err)
	}
	n3.Wait(5 * time.Second)
	ps = c.Proxies()
	if len(ps) != 3 || ps[2].Node != "n3" || ps[2].ServiceAddress != "127.0.10.3" {
		t.Fatalf("after AddNode: %+v", ps)
	}
	ps[2].Proc.Wait(5 * time.Second)
}
