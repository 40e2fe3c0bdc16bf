package localcluster

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNodeFailureFlags(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Binary, cfg.DataDir, cfg.BasePort = "/bin/true", t.TempDir(), 0
	cfg.Workers = Workers{Controller: true, Nodes: 1, NodeArgs: []string{"--lease-renew-interval", "2s"}}
	cfg.NodeFailure = NodeFailure{Grace: 5 * time.Second, EvictionTimeout: 2500 * time.Millisecond}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	has := func(who string, args []string, want ...string) {
		t.Helper()
		joined := " " + strings.Join(args, " ") + " "
		if !strings.Contains(joined, " "+strings.Join(want, " ")+" ") {
			t.Errorf("%s args %v lack %v", who, args, want)
		}
	}
	has("master", c.Masters[0].Args, "--default-not-ready-toleration-seconds", "3", "--default-unreachable-toleration-seconds", "3")
	has("controller", c.Controller().Args, "--node-monitor-grace-period", "5s", "--node-monitor-period", "5s")
	node := c.Nodes()[0].Args
	has("node", node, "--lease-duration", "5s", "--lease-renew-interval", "1.25s")
	// The workers' own flags come later, so they win.
	if i, j := slices.Index(node, "1.25s"), slices.Index(node, "2s"); i < 0 || j < i {
		t.Errorf("node args %v: NodeArgs must follow the NodeFailure flags", node)
	}

	cfg.NodeFailure = NodeFailure{}
	c, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{c.Masters[0].Args, c.Controller().Args} {
		for _, a := range args {
			if strings.Contains(a, "toleration-seconds") || strings.Contains(a, "node-monitor") {
				t.Errorf("zero NodeFailure still passes %s", a)
			}
		}
	}
}
