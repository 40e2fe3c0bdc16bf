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
