package proxy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/dataplane/nftables"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
)

// BenchmarkEndpointChangeNFTables is BenchmarkEndpointChange with the
// nftables dataplane (programming a network namespace of its own): from
// writing one EndpointSlice change to the kernel having committed the
// transaction that carries it, at 1,000 services x 10 endpoints.
func BenchmarkEndpointChangeNFTables(b *testing.B) {
	if testing.Short() {
		b.Skip("creates 2,000 objects")
	}
	if os.Geteuid() != 0 {
		b.Skip("skipped: nftables mode needs root")
	}
	ns := fmt.Sprintf("gbench-proxy-%d", time.Now().UnixNano()%1e9)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		b.Skipf("skipped: ip netns add: %v: %s", err, out)
	}
	b.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	const nSvc, nEps = 1000, 10
	cl := testutil.NewCluster(b, 1)
	log := zaptest.NewLogger(b, zaptest.Level(zap.WarnLevel))
	ccfg := client.DefaultConfig()
	ccfg.Servers = []string{cl.Members[0].Cfg.Listen}
	c, err := client.New(ccfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	slices := createScale(b, c, nSvc, nEps)

	cfg := DefaultConfig()
	cfg.NodeName, cfg.Mode, cfg.MinSyncPeriod = "n1", ModeNFTables, 0
	cfg.Listen, cfg.HTTPListen = testutil.FreeAddr(b), ""
	cfg.NFTables.Table, cfg.NFTables.NetNS = "gantry-proxy-bench", "/var/run/netns/"+ns
	dp, err := nftables.New(cfg.NFTables, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	w := &applyWatcher{Dataplane: dp, applied: make(chan *table.Changes, 1)}
	p, err := New(cfg, Deps{Client: c, Dataplane: w}, log)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(rctx) }()
	b.Cleanup(func() { cancel(); <-done })
	first := time.Now()
	testutil.Eventually(b, 120*time.Second, func() error {
		if t := p.applied.Load(); t == nil || t.table.EndpointCount() != nSvc*nEps {
			return fmt.Errorf("not all %d endpoints applied", nSvc*nEps)
		}
		return nil
	})
	b.Logf("first sync of %d endpoints carried after %s", nSvc*nEps, time.Since(first))
	drain(w.applied)

	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sl := slices[i%nSvc]
		ep := sl.Endpoints[i%nEps]
		ready := !ep.GetConditions().GetReady()
		ep.Conditions.Ready = &ready
		cur, err := c.Get(ctx, apimeta.KindEndpointSlice, "default", sl.Metadata.Name)
		if err != nil {
			b.Fatal(err)
		}
		sl.Metadata.ResourceVersion = apimeta.Meta(cur).GetResourceVersion()
		start := time.Now()
		if _, err := c.Update(ctx, apimeta.Wrap(proto.Clone(sl))); err != nil {
			b.Fatal(err)
		}
		waitCarried(b, w.applied, sl.Metadata.Labels[table.ServiceNameLabel])
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
