package proxy

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/dataplane/userspace"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
)

// applyWatcher passes applies through and reports each accepted one.
type applyWatcher struct {
	dataplane.Dataplane
	applied chan *table.Changes
}

func (w *applyWatcher) Apply(ctx context.Context, ch *table.Changes) error {
	err := w.Dataplane.Apply(ctx, ch)
	if err == nil {
		select {
		case w.applied <- ch:
		default:
		}
	}
	return err
}

// BenchmarkEndpointChange measures, at 1,000 services of 10 endpoints each
// (10,000 endpoints) on an in-process cluster with the userspace dataplane
// (1,000 listeners), the time from writing one EndpointSlice change to the
// dataplane carrying it: the apiserver write (Raft commit), the watch, the
// full rebuild, the diff and the apply. MinSyncPeriod is 0, so coalescing
// adds nothing.
func BenchmarkEndpointChange(b *testing.B) {
	if testing.Short() {
		b.Skip("creates 2,000 objects")
	}
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
	cfg.NodeName, cfg.Mode, cfg.MinSyncPeriod = "n1", ModeUserspace, 0
	cfg.Listen, cfg.HTTPListen = testutil.FreeAddr(b), ""
	cfg.Userspace.Address, cfg.Userspace.NodePortAddress = "127.0.99.1", ""
	us, err := userspace.New(cfg.Userspace, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	w := &applyWatcher{Dataplane: us, applied: make(chan *table.Changes, 1)}
	p, err := New(cfg, Deps{Client: c, Dataplane: w}, log)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(rctx) }()
	b.Cleanup(func() { cancel(); <-done })
	testutil.Eventually(b, 60*time.Second, func() error {
		if t := p.applied.Load(); t == nil || t.table.EndpointCount() != nSvc*nEps {
			return fmt.Errorf("not all %d endpoints applied", nSvc*nEps)
		}
		return nil
	})
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

func drain(ch chan *table.Changes) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// waitCarried waits for an apply that changed service name's route.
func waitCarried(b *testing.B, applied chan *table.Changes, name string) {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ch := <-applied:
			for _, c := range ch.Changed {
				if c.New.Key.Name == name {
					return
				}
			}
		case <-timeout:
			b.Fatalf("the change to %s was not applied within 30s", name)
		}
	}
}

// createScale creates n services with one slice of eps ready endpoints
// each, 8 writers at once, and returns the slices.
func createScale(b *testing.B, c *client.Client, n, eps int) []*gantryv1.EndpointSlice {
	slices := make([]*gantryv1.EndpointSlice, n)
	var objs []*gantryv1.Object
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%d", i)
		objs = append(objs, apimeta.Wrap(&gantryv1.Service{
			Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
			Spec: &gantryv1.ServiceSpec{ClusterIp: fmt.Sprintf("10.96.%d.%d", 1+i/250, 1+i%250),
				Ports: []*gantryv1.ServicePort{{Name: "http", Protocol: "TCP", Port: 8080}}},
		}))
		pn, proto, port := "http", "TCP", int32(8080)
		sl := &gantryv1.EndpointSlice{
			Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: name + "-x", Labels: map[string]string{table.ServiceNameLabel: name}},
			AddressType: "IPv4",
			Ports:       []*gantryv1.EndpointPort{{Name: &pn, Protocol: &proto, Port: &port}},
		}
		for j := 0; j < eps; j++ {
			ready := true
			sl.Endpoints = append(sl.Endpoints, &gantryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 100+j, i/250, 1+i%250)},
				Conditions: &gantryv1.EndpointConditions{Ready: &ready}})
		}
		slices[i] = sl
		objs = append(objs, apimeta.Wrap(sl))
	}
	work := make(chan *gantryv1.Object)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for k := 0; k < 8; k++ {
		wg.Go(func() {
			for o := range work {
				if _, err := c.Create(context.Background(), o); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	for _, o := range objs {
		select {
		case work <- o:
		case err := <-errc:
			b.Fatal(err)
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	return slices
}
