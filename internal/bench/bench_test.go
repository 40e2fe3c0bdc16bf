package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/testutil"
)

// inProcess is a Target over an in-process test cluster: Kill crashes a
// member (no leadership transfer), Restart starts it on its data again.
type inProcess struct {
	t testing.TB
	c *testutil.Cluster
}

func (p inProcess) Servers() []string {
	var out []string
	for _, m := range p.c.Members {
		out = append(out, m.Cfg.Listen)
	}
	return out
}

func (p inProcess) member(id string) *testutil.Member {
	for _, m := range p.c.Members {
		if m.ID == id {
			return m
		}
	}
	p.t.Fatalf("no member %s", id)
	return nil
}

func (p inProcess) Kill(id string) error    { p.c.Crash(p.member(id)); return nil }
func (p inProcess) Restart(id string) error { p.c.Start(p.member(id)); return nil }
func (p inProcess) Pids() map[string]int    { return nil }

// TestSmokeEverySection runs every section with tiny levels against an
// in-process three-master cluster, so the benchmark cannot rot unnoticed.
func TestSmokeEverySection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-master cluster and runs the benchmark for several seconds")
	}
	c := testutil.NewCluster(t, 3)
	var out, prog bytes.Buffer
	cfg := DefaultConfig()
	cfg.Target = inProcess{t: t, c: c}
	cfg.Duration = 200 * time.Millisecond
	cfg.WriteClients = []int{1, 4}
	cfg.FanOut = 2
	cfg.ReadClients = []int{3}
	cfg.ReadKeys = 20
	cfg.WatchCounts = []int{7}
	cfg.WatchRate, cfg.WatchDuration, cfg.WatchersPerConn, cfg.WatchDrain = 100, time.Second, 2, 20*time.Second
	cfg.FailoverClients, cfg.FailoverBefore, cfg.FailoverAfter = 4, 500*time.Millisecond, 3*time.Second
	cfg.Out, cfg.Progress = &out, &prog
	cfg.JSONFile = filepath.Join(t.TempDir(), "report.json")
	b, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := b.Run(ctx); err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s\nout:\n%s", err, prog.String(), out.String())
	}
	t.Logf("tables:\n%s", out.String())
	r := b.Report()
	if len(r.Write) != 4 || len(r.Read) != 2 || len(r.Watch) != 1 || r.Failover == nil {
		t.Fatalf("report has %d write, %d read, %d watch results and failover %v", len(r.Write), len(r.Read), len(r.Watch), r.Failover)
	}
	for _, l := range append(r.Write, r.Read...) {
		if l.Ops == 0 || l.Errors != 0 || l.PerSecond <= 0 || l.Latency.P50 <= 0 || l.Latency.P99 < l.Latency.P50 {
			t.Errorf("%s %d clients: %+v", l.Mode, l.Clients, l)
		}
	}
	w := r.Watch[0]
	if w.Writes != 100 || w.Complete != 7 || w.Missing != 0 || w.Duplicates != 0 || w.Events != 700 || w.Delivery.P50 <= 0 {
		t.Errorf("watch: %+v", w)
	}
	f := r.Failover
	if f.KilledID == "" || f.NewLeader == "" || f.NewLeader == f.KilledID || f.Acked == 0 || f.Lost != 0 || len(f.Verified) != 3 || f.MaxGapSeconds <= 0 {
		t.Errorf("failover: %+v", f)
	}
	var back Report
	if raw, err := os.ReadFile(cfg.JSONFile); err != nil || json.Unmarshal(raw, &back) != nil || len(back.Write) != 4 || back.Failover == nil {
		t.Errorf("JSON report: %v, %d write results", err, len(back.Write))
	}
	for _, want := range []string{"== write", "== read", "== watch", "== failover", "acknowledged writes lost"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tables lack %q", want)
		}
	}
}

func TestConfigRejectsNonsense(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Sections = []Section{"writes"}
	cfg.WriteModes = []string{"leader"}
	cfg.Duration = 0
	_, err := New(cfg, nil)
	for _, want := range []string{`section "writes"`, `write mode "leader"`, "duration or count"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New error %v does not mention %s", err, want)
		}
	}
}
