package scheduler

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/scheduler/clock"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// flow is a scheduler running against the in-memory fake API with a fake
// clock: unit tests of the scheduler's own logic, without Raft.
type flow struct {
	t   *testing.T
	api *fakeAPI
	clk *clock.Fake
	s   *Scheduler
}

func newFlow(t *testing.T, opts ...func(*Deps)) *flow {
	t.Helper()
	api, clk := newFakeAPI(), clock.NewFake()
	cfg := DefaultConfig()
	cfg.Listen, cfg.HTTPListen, cfg.Election.Identity = "127.0.0.1:0", "", "flow"
	deps := Deps{Client: api, Clock: clk}
	for _, o := range opts {
		o(&deps)
	}
	s, err := New(cfg, deps, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	testutil.Eventually(t, 10*time.Second, func() error {
		if !s.Leading() {
			return fmt.Errorf("not leading")
		}
		return nil
	})
	return &flow{t: t, api: api, clk: clk, s: s}
}

// node creates a ready node and waits until the scheduler's cache has it
// (the pod and node informers are independent: a pod seen before any node
// would wait out a backoff on the fake clock).
func (f *flow) node(name, cpu string) {
	f.t.Helper()
	before, _, _ := f.s.cache.Stats()
	n := &gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: name}, Spec: &gantryv1.NodeSpec{},
		Status: &gantryv1.NodeStatus{Allocatable: map[string]string{"cpu": cpu, "memory": "1Gi", "pods": "10"},
			Conditions: []*gantryv1.Condition{{Type: "Ready", Status: "True"}}}}
	if _, err := f.api.store.Create(apimeta.Wrap(n)); err != nil {
		f.t.Fatal(err)
	}
	f.waitFor("the node cached", func() bool { n, _, _ := f.s.cache.Stats(); return n == before+1 })
}

func (f *flow) pod(name, cpu string, edit ...func(*gantryv1.Pod)) {
	f.t.Helper()
	p := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		Spec: &gantryv1.PodSpec{SchedulerName: DefaultSchedulerName, Containers: []*gantryv1.Container{{Name: "c",
			Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": cpu}}}}}}
	for _, e := range edit {
		e(p)
	}
	if _, err := f.api.store.Create(apimeta.Wrap(p)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *flow) stored(name string) *gantryv1.Pod {
	f.t.Helper()
	o, err := f.api.store.Get(apimeta.KindPod, "default", name)
	if err != nil {
		f.t.Fatal(err)
	}
	return o.GetPod()
}

func (f *flow) waitFor(what string, cond func() bool) {
	f.t.Helper()
	testutil.Eventually(f.t, 10*time.Second, func() error {
		if !cond() {
			return fmt.Errorf("waiting for %s", what)
		}
		return nil
	})
}

func (f *flow) lens() [3]int {
	a, b, u := f.s.queue.Lens()
	return [3]int{a, b, u}
}

func TestBindConflictForgetsAndRetries(t *testing.T) {
	f := newFlow(t)
	f.node("n1", "4")
	var rejected atomic.Bool
	f.api.bindHook = func(b *gantryv1.Binding) codes.Code {
		if !rejected.Swap(true) {
			return codes.Aborted // as if another replica had bound it
		}
		return codes.OK
	}
	f.pod("p", "1")
	f.waitFor("the pod in backoff after the conflict", func() bool { return f.lens() == [3]int{0, 1, 0} })
	if f.s.conflicts.Load() != 1 || f.s.cache.IsAssumed("default/p") {
		t.Fatalf("conflicts %d, assumed %v; want 1 and the assumption forgotten", f.s.conflicts.Load(), f.s.cache.IsAssumed("default/p"))
	}
	if r, _ := f.s.cache.NodeRequested("n1"); r.MilliCPU != 0 {
		t.Fatalf("n1 still counts %dm after the failed binding", r.MilliCPU)
	}
	f.clk.Advance(time.Second) // the backoff ends
	f.waitFor("the pod bound", func() bool { return f.stored("p").GetSpec().GetNodeName() == "n1" })
	f.waitFor("the binding confirmed", func() bool {
		r, _ := f.s.cache.NodeRequested("n1")
		return r.MilliCPU == 1000 && !f.s.cache.IsAssumed("default/p")
	})
}

func TestFailedBindingOfDeletedPodIsDropped(t *testing.T) {
	f := newFlow(t)
	f.node("n1", "4")
	f.api.bindHook = func(b *gantryv1.Binding) codes.Code {
		if _, err := f.api.store.Delete(apimeta.KindPod, b.GetNamespace(), b.GetName()); err != nil {
			t.Error(err)
		}
		return codes.NotFound
	}
	f.pod("gone", "1")
	f.waitFor("the binding attempt", func() bool { return f.api.bindCalls.Load() == 1 })
	f.waitFor("nothing queued or assumed", func() bool {
		_, pods, _ := f.s.cache.Stats()
		return f.lens() == [3]int{} && pods == 0 && !f.s.queue.Has("default/gone")
	})
}

func TestConditionWrittenWhenTheMessageChanges(t *testing.T) {
	f := newFlow(t)
	f.node("n1", "1")
	f.pod("big", "2", func(p *gantryv1.Pod) {
		p.Status = &gantryv1.PodStatus{Phase: "Pending", Message: "keep me"}
	})
	one := "0/1 nodes are available: 1 Insufficient cpu."
	f.waitFor("the condition", func() bool { return podScheduledCondition(f.stored("big")).GetMessage() == one })
	if got := f.stored("big").GetStatus().GetMessage(); got != "keep me" {
		t.Fatalf("status.message = %q: the condition write lost other status fields", got)
	}
	writes := f.api.statusWrites.Load()
	// A node change that does not help: the pod is retried, the message is
	// the same, nothing is written.
	o, _ := f.api.store.Get(apimeta.KindNode, "", "n1")
	o = proto.Clone(o).(*gantryv1.Object)
	o.GetNode().Status.Allocatable["cpu"] = "1500m"
	if _, err := f.api.store.UpdateStatus(o); err != nil {
		t.Fatal(err)
	}
	f.waitFor("the pod moved to backoff", func() bool { return f.lens() == [3]int{0, 1, 0} })
	f.clk.Advance(10 * time.Second)
	f.waitFor("the second attempt", func() bool { return f.lens() == [3]int{0, 0, 1} && f.s.queue.Has("default/big") })
	if n := f.api.statusWrites.Load(); n != writes {
		t.Fatalf("%d status writes after an unchanged message, want %d", n, writes)
	}
	// A second node changes the message: written again.
	f.node("n2", "1")
	two := "0/2 nodes are available: 2 Insufficient cpu."
	f.clk.Advance(10 * time.Second)
	f.waitFor("the new message", func() bool { return podScheduledCondition(f.stored("big")).GetMessage() == two })
	if n := f.api.statusWrites.Load(); n != writes+1 {
		t.Fatalf("%d status writes, want %d", n, writes+1)
	}
}

func TestPodsThatAreNotOurs(t *testing.T) {
	f := newFlow(t)
	f.node("n1", "4")
	f.pod("bound", "1", func(p *gantryv1.Pod) { p.Spec.NodeName = "n1" })
	f.pod("deleting", "1", func(p *gantryv1.Pod) { p.Metadata.DeletionTimestamp = timestamppb.Now() })
	f.pod("custom", "1", func(p *gantryv1.Pod) { p.Spec.SchedulerName = "custom" })
	f.pod("mine", "1")
	f.waitFor("mine bound", func() bool { return f.stored("mine").GetSpec().GetNodeName() == "n1" })
	f.waitFor("bound and mine counted", func() bool {
		r, _ := f.s.cache.NodeRequested("n1")
		return r.MilliCPU == 2000
	})
	if f.api.bindCalls.Load() != 1 || f.s.queue.Has("default/deleting") || f.s.queue.Has("default/custom") {
		t.Fatalf("bind calls %d; queued deleting %v custom %v", f.api.bindCalls.Load(),
			f.s.queue.Has("default/deleting"), f.s.queue.Has("default/custom"))
	}
	// Deleting the bound pod frees its cpu.
	if _, err := f.api.store.Delete(apimeta.KindPod, "default", "bound"); err != nil {
		t.Fatal(err)
	}
	f.waitFor("bound's cpu freed", func() bool {
		r, _ := f.s.cache.NodeRequested("n1")
		return r.MilliCPU == 1000
	})
}

func TestMetricsLint(t *testing.T) {
	f := newFlow(t)
	mfs, err := f.s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil || len(problems) > 0 {
		t.Fatalf("promlint: %v %v", problems, err)
	}
}
