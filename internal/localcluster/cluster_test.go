package localcluster

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func newTestCluster(t *testing.T, mod func(*Config)) *Cluster {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Binary, cfg.DataDir = "/bin/true", t.TempDir()
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func flag(args []string, name string) string {
	i := slices.Index(args, name)
	if i < 0 || i+1 >= len(args) {
		return ""
	}
	return args[i+1]
}

// gantry up's defaults: 7001-7003, Raft +100, HTTP +200.
func TestDefaultPorts(t *testing.T) {
	c := newTestCluster(t, nil)
	want := []string{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"}
	if got := c.Servers(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Servers = %v, want %v", got, want)
	}
	if got := c.RaftAddrs(); got[2] != "127.0.0.1:7103" {
		t.Fatalf("RaftAddrs = %v", got)
	}
	if got := c.HTTPAddrs(); got[0] != "127.0.0.1:7201" {
		t.Fatalf("HTTPAddrs = %v", got)
	}
	args := c.Masters[1].Args
	if flag(args, "--listen") != "127.0.0.1:7002" || flag(args, "--raft-listen") != "127.0.0.1:7102" ||
		flag(args, "--http-listen") != "127.0.0.1:7202" || flag(args, "--id") != "m2" ||
		flag(args, "--initial-cluster") != "m1=127.0.0.1:7101,m2=127.0.0.1:7102,m3=127.0.0.1:7103" {
		t.Fatalf("m2 args = %v", args)
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	c := newTestCluster(t, func(c *Config) { c.BasePort = 0 })
	seen := map[string]bool{}
	for _, a := range slices.Concat(c.Servers(), c.RaftAddrs(), c.HTTPAddrs()) {
		if seen[a] || strings.HasSuffix(a, ":0") {
			t.Fatalf("address %s repeated or unset in %v", a, seen)
		}
		seen[a] = true
	}
	if len(seen) != 9 {
		t.Fatalf("%d addresses, want 9", len(seen))
	}
}

func TestExplicitPorts(t *testing.T) {
	ports := []Ports{{1, 2, 3}, {4, 5, 6}}
	c := newTestCluster(t, func(c *Config) { c.Masters, c.Ports = 2, ports })
	if got := c.Servers(); !reflect.DeepEqual(got, []string{"127.0.0.1:1", "127.0.0.1:4"}) {
		t.Fatalf("Servers = %v", got)
	}
	cfg := DefaultConfig()
	cfg.Binary, cfg.DataDir, cfg.Ports = "/bin/true", t.TempDir(), ports
	if _, err := New(cfg); err == nil {
		t.Fatal("New accepted 2 port sets for 3 masters")
	}
}

func TestAddMasterJoinsThroughEveryMaster(t *testing.T) {
	c := newTestCluster(t, nil)
	p, err := c.AddMaster(nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Wait(5 * time.Second)
	if p.Name != "m4" || flag(p.Args, "--listen") != "127.0.0.1:7004" || flag(p.Args, "--raft-listen") != "127.0.0.1:7104" {
		t.Fatalf("m4 args = %v", p.Args)
	}
	if got := flag(p.Args, "--join"); got != "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003" {
		t.Fatalf("--join %q", got)
	}
	if slices.Contains(p.Args, "--initial-cluster") {
		t.Fatalf("a joining master bootstraps: %v", p.Args)
	}
	if len(c.Servers()) != 4 || c.Master("m4") != p {
		t.Fatalf("Servers = %v", c.Servers())
	}
	if code, exited := p.ExitCode(); !exited || code != 0 {
		t.Fatalf("ExitCode = %d, %v (the binary is /bin/true)", code, exited)
	}
}

// AddNode names the next node after the existing ones, gives it its own
// data directory and ports, and lets its flags follow (and so override)
// Workers.NodeArgs.
func TestAddNodeFollowsTheWorkers(t *testing.T) {
	c := newTestCluster(t, func(c *Config) {
		c.BasePort = 0
		c.Workers = Workers{Nodes: 2, NodeArgs: []string{"--cpu", "2"}}
	})
	p, err := c.AddNode("--cpu", "64")
	if err != nil {
		t.Fatal(err)
	}
	p.Wait(5 * time.Second)
	nodes := c.Nodes()
	if len(nodes) != 3 || nodes[2] != p || p.Name != "n3" {
		t.Fatalf("Nodes = %v, added %s", nodes, p.Name)
	}
	if i := slices.Index(p.Args, "--cpu"); i < 0 || flag(p.Args[i+2:], "--cpu") != "64" {
		t.Fatalf("n3 args %v: want --cpu 2 then --cpu 64", p.Args)
	}
	if !strings.HasSuffix(flag(p.Args, "--data-dir"), "/nodes/n3") || !slices.Contains(p.Args, "--stop-pods-on-exit") {
		t.Fatalf("n3 args %v", p.Args)
	}
	addrs := c.WorkerAddrs()
	if addrs["n3"] == "" || addrs["n3"] == addrs["n1"] || addrs["n3"] == addrs["n2"] || flag(p.Args, "--listen") != addrs["n3"] {
		t.Fatalf("WorkerAddrs = %v, n3 args %v", addrs, p.Args)
	}
}

// Every port of a cluster on free ports is distinct, the workers' and
// nodes added later included: they are picked by separate calls, and a
// port one call let go of must not be handed out again by the next.
// (Picked by the kernel from ~14,000 ports, 23 ports collided in about one
// cluster in a hundred, and the second process to bind exited at start.)
func TestFreePortsDistinctAcrossComponents(t *testing.T) {
	for i := 0; i < 300; i++ {
		c := newTestCluster(t, func(c *Config) {
			c.BasePort = 0
			c.Workers = Workers{Scheduler: true, Controller: true, Nodes: 2}
		})
		p, err := c.AddNode()
		if err != nil {
			t.Fatal(err)
		}
		p.Wait(5 * time.Second)
		addrs := slices.Concat(c.Servers(), c.RaftAddrs(), c.HTTPAddrs())
		for _, w := range c.workerProcs() {
			addrs = append(addrs, flag(w.Args, "--listen"), flag(w.Args, "--http-listen"))
		}
		seen := map[string]bool{}
		for _, a := range addrs {
			if seen[a] || a == "" || strings.HasSuffix(a, ":0") {
				t.Fatalf("cluster %d: address %q repeated or unset among %v", i, a, addrs)
			}
			seen[a] = true
		}
		if len(seen) != 9+2*5 {
			t.Fatalf("%d addresses, want 19", len(seen))
		}
	}
}
