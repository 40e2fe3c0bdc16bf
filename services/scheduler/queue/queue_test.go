package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/scheduler/clock"
	"github.com/gantryio/gantry/services/scheduler/framework"
)

func podInfo(name string, priority int32) *framework.PodInfo {
	return framework.NewPodInfo(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name, Uid: "uid-" + name},
		Spec:     &gantryv1.PodSpec{Priority: priority},
	})
}

func newQueue(t *testing.T) (*Queue, *clock.Fake) {
	t.Helper()
	c := clock.NewFake()
	q, err := New(DefaultConfig(), c)
	if err != nil {
		t.Fatal(err)
	}
	return q, c
}

// pop pops without blocking: the test knows a pod is active.
func pop(t *testing.T, q *Queue) *QueuedPod {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if a, _, _ := q.Lens(); a == 0 {
		t.Fatal("pop: no active pod")
	}
	qp, err := q.Pop(ctx)
	if err != nil {
		// Pop may see ctx first only when nothing is active.
		t.Fatalf("Pop: %v", err)
	}
	return qp
}

func wantLens(t *testing.T, q *Queue, active, backoff, unsched int) {
	t.Helper()
	a, b, u := q.Lens()
	if a != active || b != backoff || u != unsched {
		t.Fatalf("queue lengths active %d backoff %d unschedulable %d, want %d %d %d", a, b, u, active, backoff, unsched)
	}
}

func TestPopOrder(t *testing.T) {
	q, _ := newQueue(t)
	q.Add(podInfo("low1", 0))
	q.Add(podInfo("high", 10))
	q.Add(podInfo("low2", 0))
	q.Add(podInfo("mid", 5))
	var got []string
	for range 4 {
		got = append(got, pop(t, q).Info.Pod.Metadata.Name)
	}
	if fmt.Sprint(got) != "[high mid low1 low2]" {
		t.Fatalf("pop order %v, want [high mid low1 low2]", got)
	}
}

func TestPopBlocksUntilAdd(t *testing.T) {
	q, _ := newQueue(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan *QueuedPod, 1)
	go func() {
		qp, err := q.Pop(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- qp
	}()
	q.Add(podInfo("p", 0))
	if qp := <-got; qp == nil || qp.Info.Key != "default/p" || qp.Attempts != 1 {
		t.Fatalf("Pop = %+v", qp)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := q.Pop(cctx); err == nil {
		t.Fatal("Pop on an empty queue with a cancelled context returned no error")
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	q, c := newQueue(t)
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	q.Add(podInfo("p", 0))
	for i, w := range want {
		qp := pop(t, q)
		q.AddBackoff(qp)
		wantLens(t, q, 0, 1, 0)
		c.Advance(w*time.Second - time.Millisecond)
		q.FlushBackoffCompleted()
		wantLens(t, q, 0, 1, 0) // not yet
		c.Advance(time.Millisecond)
		q.FlushBackoffCompleted()
		if a, _, _ := q.Lens(); a != 1 {
			t.Fatalf("attempt %d: not active after %v of backoff", i+1, w*time.Second)
		}
	}
}

func TestUnschedulableMovesOnRelevantEvent(t *testing.T) {
	q, c := newQueue(t)
	q.Add(podInfo("cpu", 0))
	q.Add(podInfo("sel", 0))
	q.AddUnschedulable(pop(t, q), framework.NodeResourcesFitBit)
	q.AddUnschedulable(pop(t, q), framework.NodeSelectorBit)
	wantLens(t, q, 0, 0, 2)
	// Time alone does not move them (no polling) before the safety flush.
	c.Advance(30 * time.Second)
	q.FlushBackoffCompleted()
	wantLens(t, q, 0, 0, 2)
	q.MoveAll(Event{Name: "NodeLabelsChanged", Plugins: framework.NodeSelectorBit})
	wantLens(t, q, 1, 0, 1)
	if qp := pop(t, q); qp.Info.Key != "default/sel" {
		t.Fatalf("moved %s, want default/sel", qp.Info.Key)
	}
	q.MoveAll(Event{Name: "AssignedPodDelete", Plugins: framework.NodeResourcesFitBit | framework.NodePortsBit})
	wantLens(t, q, 1, 0, 0)
}

func TestMoveDuringBackoffGoesToBackoff(t *testing.T) {
	q, c := newQueue(t)
	q.Add(podInfo("p", 0))
	q.AddUnschedulable(pop(t, q), framework.NodeResourcesFitBit)
	c.Advance(100 * time.Millisecond)
	q.MoveAll(Event{Name: "NodeAdd", Plugins: framework.AllPlugins})
	wantLens(t, q, 0, 1, 0)
	c.Advance(900 * time.Millisecond)
	q.FlushBackoffCompleted()
	wantLens(t, q, 1, 0, 0)
}

func TestEventDuringAttemptSkipsUnschedulablePool(t *testing.T) {
	q, _ := newQueue(t)
	q.Add(podInfo("p", 0))
	qp := pop(t, q)
	q.MoveAll(Event{Name: "NodeAdd", Plugins: framework.AllPlugins}) // while in flight
	q.AddUnschedulable(qp, framework.NodeResourcesFitBit)
	wantLens(t, q, 0, 1, 0)

	// An irrelevant event during the attempt does not.
	q2, _ := newQueue(t)
	q2.Add(podInfo("p", 0))
	qp = pop(t, q2)
	q2.MoveAll(Event{Name: "NodeLabels", Plugins: framework.NodeSelectorBit})
	q2.AddUnschedulable(qp, framework.NodeResourcesFitBit)
	wantLens(t, q2, 0, 0, 1)
}

func TestUpdates(t *testing.T) {
	q, _ := newQueue(t)
	q.Add(podInfo("p", 0))
	q.AddUnschedulable(pop(t, q), framework.NodeResourcesFitBit)
	// A status-only update (our own condition write) leaves it waiting.
	q.Update(podInfo("p", 0), false)
	wantLens(t, q, 0, 0, 1)
	// A spec change moves it (to backoff: its backoff has not ended).
	q.Update(podInfo("p", 0), true)
	wantLens(t, q, 0, 1, 0)

	// An update while in flight is kept and sends a failure to backoff.
	q2, _ := newQueue(t)
	q2.Add(podInfo("p", 0))
	qp := pop(t, q2)
	newer := podInfo("p", 7)
	q2.Update(newer, true)
	wantLens(t, q2, 0, 0, 0)
	q2.AddUnschedulable(qp, framework.NodeResourcesFitBit)
	wantLens(t, q2, 0, 1, 0)
	if qp.Info != newer {
		t.Fatal("the newer pod version was not kept")
	}
}

func TestDelete(t *testing.T) {
	q, _ := newQueue(t)
	for _, n := range []string{"a", "b", "c"} {
		q.Add(podInfo(n, 0))
	}
	q.AddBackoff(pop(t, q))                             // a
	q.AddUnschedulable(pop(t, q), framework.AllPlugins) // b
	wantLens(t, q, 1, 1, 1)
	q.Delete("default/a")
	q.Delete("default/b")
	q.Delete("default/c")
	wantLens(t, q, 0, 0, 0)
	if q.Has("default/a") {
		t.Fatal("Has after Delete")
	}
	// Deleted while in flight: a failure does not requeue it.
	q.Add(podInfo("d", 0))
	qp := pop(t, q)
	q.Delete("default/d")
	q.AddBackoff(qp)
	wantLens(t, q, 0, 0, 0)
	// Re-added while its failed binding was pending: not queued twice.
	q.Add(podInfo("e", 0))
	qp = pop(t, q)
	q.Done(qp.Info.Key)
	q.Add(podInfo("e", 0))
	q.AddBackoff(qp)
	wantLens(t, q, 1, 0, 0)
}

func TestSafetyFlush(t *testing.T) {
	q, c := newQueue(t)
	q.Add(podInfo("p", 0))
	q.AddUnschedulable(pop(t, q), framework.NodeResourcesFitBit)
	c.Advance(59 * time.Second)
	q.FlushUnschedulableLeftover()
	wantLens(t, q, 0, 0, 1)
	c.Advance(time.Second)
	q.FlushUnschedulableLeftover()
	wantLens(t, q, 1, 0, 0)
}

// TestRunMovesOnTimers drives Run with the fake clock: a pod leaves
// backoff when its backoff ends, and the unschedulable pool is flushed.
func TestRunMovesOnTimers(t *testing.T) {
	q, c := newQueue(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	defer func() { cancel(); <-done }()

	q.Add(podInfo("p", 0))
	qp := pop(t, q)
	q.AddBackoff(qp)
	waitCtx, waitCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer waitCancel()
	got := make(chan *QueuedPod, 1)
	go func() {
		p, _ := q.Pop(waitCtx)
		got <- p
	}()
	c.Advance(time.Second) // fires Run's timer, or Run sees the deadline passed
	if p := <-got; p == nil || p.Info.Key != "default/p" || p.Attempts != 2 {
		t.Fatalf("after backoff Pop = %+v", p)
	}
	q.AddUnschedulable(qp, framework.NodeResourcesFitBit)
	go func() {
		p, _ := q.Pop(waitCtx)
		got <- p
	}()
	for range 3 { // three 30 s flush periods: the pod has waited >= 60 s by the last
		waitFor(t, func() bool { return c.Waiters() > 0 })
		c.Advance(30 * time.Second)
	}
	if p := <-got; p == nil || p.Info.Key != "default/p" {
		t.Fatalf("after the safety flush Pop = %+v", p)
	}
}

// waitFor polls cond with a deadline (Run is a goroutine whose timer the
// test must see before advancing the clock past it).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
