package main

import (
	"slices"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/bench"
)

func parseBench(t *testing.T, argv ...string) *benchOptions {
	t.Helper()
	o := &benchOptions{cfg: bench.DefaultConfig()}
	cmd := newBenchCmd(o)
	if err := cmd.ParseFlags(argv); err != nil {
		t.Fatal(err)
	}
	if err := o.complete(cmd.Flags().Changed, cmd.Flags().Args()); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestBenchFlagsQuickKeepsExplicitFlags(t *testing.T) {
	cfg := parseBench(t, "write", "watch", "--quick", "--write-clients", "8,32", "--servers", "a:1,b:2", "--duration", "3s", "--json").cfg
	if !slices.Equal(cfg.Sections, []bench.Section{bench.SectionWrite, bench.SectionWatch}) {
		t.Errorf("sections = %v", cfg.Sections)
	}
	if !slices.Equal(cfg.Servers, []string{"a:1", "b:2"}) || !cfg.JSON {
		t.Errorf("servers = %v, json = %v", cfg.Servers, cfg.JSON)
	}
	// Explicit flags win over --quick; the rest is quick.
	if !slices.Equal(cfg.WriteClients, []int{8, 32}) || cfg.Duration != 3*time.Second {
		t.Errorf("explicit flags lost: clients %v duration %v", cfg.WriteClients, cfg.Duration)
	}
	if !slices.Equal(cfg.WatchCounts, []int{100}) || cfg.WatchDuration != 3*time.Second {
		t.Errorf("quick not applied: watchers %v watch duration %v", cfg.WatchCounts, cfg.WatchDuration)
	}
}

func TestBenchArgsAllAndDefault(t *testing.T) {
	for _, args := range [][]string{nil, {"all"}, {"read", "all"}} {
		cfg := parseBench(t, args...).cfg
		if !slices.Equal(cfg.Sections, bench.AllSections) {
			t.Errorf("args %v: sections %v", args, cfg.Sections)
		}
		if cfg.Duration != 5*time.Second || cfg.BasePort != 17001 {
			t.Errorf("args %v: defaults changed: %v %d", args, cfg.Duration, cfg.BasePort)
		}
	}
}
