package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"go.uber.org/zap"
)

// fillFake creates nodes ready nodes (32 cpu, 128Gi, 110 pods) and pods
// pending pods of ten ReplicaSets (10m cpu, 16Mi) in api's store.
func fillFake(tb testing.TB, api *fakeAPI, nodes, pods int) {
	tb.Helper()
	for i := range nodes {
		n := &gantryv1.Node{
			Metadata: &gantryv1.ObjectMeta{Name: fmt.Sprintf("node-%04d", i)},
			Spec:     &gantryv1.NodeSpec{},
			Status: &gantryv1.NodeStatus{
				Allocatable: map[string]string{"cpu": "32", "memory": "128Gi", "pods": "110"},
				Conditions:  []*gantryv1.Condition{{Type: "Ready", Status: "True"}},
			},
		}
		if _, err := api.store.Create(apimeta.Wrap(n)); err != nil {
			tb.Fatal(err)
		}
	}
	yes := true
	for i := range pods {
		owner := fmt.Sprintf("rs-%d", i%10)
		p := &gantryv1.Pod{
			Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("pod-%06d", i),
				OwnerReferences: []*gantryv1.OwnerReference{{Kind: "ReplicaSet", Name: owner, Uid: owner, Controller: &yes}}},
			Spec: &gantryv1.PodSpec{SchedulerName: DefaultSchedulerName, Containers: []*gantryv1.Container{{Name: "c",
				Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": "10m", "memory": "16Mi"}}}}},
		}
		if _, err := api.store.Create(apimeta.Wrap(p)); err != nil {
			tb.Fatal(err)
		}
	}
}

// newFakeScheduler builds a scheduler over api whose informers run (and
// are synced) until the test ends; nothing else runs.
func newFakeScheduler(tb testing.TB, api *fakeAPI, mutate ...func(*Config)) (*Scheduler, context.Context) {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Listen, cfg.HTTPListen, cfg.Election.Identity = "127.0.0.1:0", "", "bench"
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := New(cfg, Deps{Client: api}, zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	for _, inf := range []interface{ Run(context.Context) error }{s.nodes, s.pods} {
		go func() { _ = inf.Run(ctx); done <- struct{}{} }()
	}
	tb.Cleanup(func() {
		cancel()
		<-done
		<-done
		_ = s.lis.Close()
	})
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	if err := s.nodes.WaitForSync(wctx); err != nil {
		tb.Fatal(err)
	}
	if err := s.pods.WaitForSync(wctx); err != nil {
		tb.Fatal(err)
	}
	return s, ctx
}

// BenchmarkScheduleOne measures one scheduling cycle on 1,000 nodes: pop
// from the queue, filter and score (sampling 42% of the nodes, as
// Kubernetes does at this size; pct=100 scores all), assume on the chosen
// node and hand over to the binder, whose Bind calls (to an in-memory
// fake) run beside it. Each op is one pod.
func BenchmarkScheduleOne(b *testing.B) {
	for _, pct := range []int{0, 100} {
		b.Run(fmt.Sprintf("nodes=1000/pct=%d", pct), func(b *testing.B) {
			api := newFakeAPI()
			api.applyBinds = false
			fillFake(b, api, 1000, b.N)
			s, ctx := newFakeScheduler(b, api, func(c *Config) { c.PercentageOfNodesToScore = pct })
			go s.binder.Run(ctx)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				qp, err := s.queue.Pop(ctx)
				if err != nil {
					b.Fatal(err)
				}
				s.scheduleOne(ctx, qp)
			}
			b.StopTimer()
			if _, _, assumed := s.cache.Stats(); assumed != b.N {
				b.Fatalf("%d pods assumed, want %d", assumed, b.N)
			}
		})
	}
}
