package nodelifecycle

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/taints"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/prometheus/client_golang/prometheus"
)

// drain empties the queue's ready keys without processing them.
func drain(c *Controller) {
	for c.queue.Len() > 0 {
		k, _ := c.queue.Get()
		c.queue.Done(k)
	}
}

// waitQueued waits until key is ready in the queue (its delay passed).
func waitQueued(t *testing.T, c *Controller, key string) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, func() error {
		if c.queue.Len() == 0 {
			return errors.New("nothing queued yet")
		}
		k, _ := c.queue.Get()
		c.queue.Done(k)
		if k != key {
			return fmt.Errorf("queued %q, want %q", k, key)
		}
		return nil
	})
}

// brakeMetric reads gantry_node_lifecycle_evictions_stopped.
func brakeMetric(t *testing.T, c *Controller) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gantry_node_lifecycle_evictions_stopped" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no gantry_node_lifecycle_evictions_stopped metric")
	return 0
}

// Every node down at once — the controller is more likely cut off than
// the nodes all dead — marks them Unknown but taints and evicts nothing;
// when enough come back, evictions resume.
func TestBrakeWhenAllNodesDown(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.addPod("p1", "n1")
	f.addPod("p2", "n2")
	f.addPod("p3", "n3")
	f.c.begin()
	f.step(grace)
	f.settle("n1", "n2", "n3")
	for _, n := range []string{"n1", "n2", "n3"} {
		f.wantReady(n, StatusUnknown)
		f.wantTaints(n)
	}
	f.wantPods("p1", "p2", "p3")
	if !f.c.Braked() || brakeMetric(t, f.c) != 1 {
		t.Fatalf("braked = %v, metric %v; want engaged", f.c.Braked(), brakeMetric(t, f.c))
	}
	f.step(time.Hour)
	f.settle("n1", "n2", "n3")
	f.wantPods("p1", "p2", "p3")
	// Two of three come back: n1 alone is down (33 %), so it is tainted
	// and its pod, which tolerates nothing, evicted.
	f.renew("n2", "n3")
	f.setReady("n2", StatusTrue)
	f.setReady("n3", StatusTrue)
	f.settle("n1", "n2", "n3")
	if f.c.Braked() || brakeMetric(t, f.c) != 0 {
		t.Fatal("still braked with 1 of 3 nodes down")
	}
	f.wantTaints("n1", taints.Unreachable)
	f.wantPods("p2", "p3")
}

// The threshold: above it (3 of 5 down, 60 % > 55 %) nothing is evicted,
// even from a node tainted before; at or below it (2 of 5) eviction goes on.
func TestBrakeThreshold(t *testing.T) {
	names := []string{"n1", "n2", "n3", "n4", "n5"}
	f := newFixture(t, testConfig(), names...)
	f.addPod("p1", "n1", tolerate(taints.Unreachable, seconds(100)))
	f.addPod("p2", "n2")
	f.c.begin()
	f.step(grace)
	f.renew("n2", "n3", "n4", "n5")
	f.settle("n1")
	f.wantTaints("n1", taints.Unreachable)
	// n2 and n3 go quiet too.
	f.step(grace)
	f.renew("n4", "n5")
	f.settle(names...)
	if !f.c.Braked() {
		t.Fatal("not braked with 3 of 5 nodes down")
	}
	f.wantTaints("n2")
	f.wantTaints("n3")
	f.step(time.Hour)
	f.renew("n4", "n5")
	f.settle(names...)
	f.wantPods("p1", "p2")
	// n3 comes back: 2 of 5 down. p1's 100 s are long gone: it goes now;
	// n2 is tainted and p2 (no toleration) goes too.
	f.renew("n3", "n4", "n5")
	f.setReady("n3", StatusTrue)
	f.settle(names...)
	if f.c.Braked() {
		t.Fatal("braked with 2 of 5 nodes down")
	}
	f.wantTaints("n2", taints.Unreachable)
	f.wantPods()
}

// A controller that starts leading gives every node a full grace period:
// taints a previous leader left evict nothing until this controller has
// itself seen the lease stale for that long.
func TestFreshGracePeriodOnStart(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.addPod("p", "n1", tolerate(taints.Unreachable, seconds(300)))
	// The previous leader: n1 went quiet, was marked Unknown and tainted.
	f.c.begin()
	f.step(grace)
	f.renew("n2", "n3")
	f.settle("n1")
	f.wantTaints("n1", taints.Unreachable)
	// A new leader starts an hour later; n1 stayed down all along.
	c, err := New(testConfig(), Deps{Client: f.w, Nodes: f.w.Cache("Node"), Leases: f.w.Cache("Lease"), Pods: f.w.Cache("Pod"), Clock: f.w.Clock}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.step(time.Hour)
	// Its caches were filled before it led, as a standby's are.
	for _, o := range f.w.Cache("Node").List() {
		c.nodeChanged(o)
	}
	for _, o := range f.w.Cache("Lease").List() {
		c.leaseChanged(o)
	}
	f.c = c
	c.begin()
	f.renew("n2", "n3")
	f.settle("n1", "n2", "n3")
	f.wantPods("p") // 300 s long past, but the new leader saw n1 for 0 s
	f.step(grace - time.Second)
	f.renew("n2", "n3")
	f.settle("n1", "n2", "n3")
	f.wantPods("p")
	for _, n := range []string{"n2", "n3"} {
		f.wantReady(n, StatusTrue)
	}
	f.step(time.Second)
	f.settle("n1")
	f.wantPods() // the taint's time_added is an hour old: the pod goes now
}

// A node whose agent reports Ready=False is tainted not-ready; when it
// goes quiet the taint becomes unreachable at once (swapping is not
// rate-limited); Ready again removes it.
func TestNotReadyTaint(t *testing.T) {
	names := []string{"n1", "n2", "n3", "n4", "n5"}
	f := newFixture(t, testConfig(), names...)
	f.addPod("p", "n1", tolerate(taints.NotReady, seconds(20)), tolerate(taints.Unreachable, seconds(300)))
	f.c.begin()
	f.setReady("n1", StatusFalse)
	f.settle("n1")
	f.wantTaints("n1", taints.NotReady)
	f.step(19 * time.Second)
	f.renew(names...)
	f.reconcile("n1")
	f.wantPods("p")
	f.setReady("n1", StatusTrue)
	f.settle("n1")
	f.wantTaints("n1")
	f.step(time.Hour)
	f.renew(names...)
	f.reconcile("n1")
	f.wantPods("p")
	// Ready=False, then silence: not-ready, then unreachable. n2 takes
	// the limiter's token first, so n1 waits 10 s for its not-ready
	// taint, but the swap to unreachable does not wait.
	f.addPod("r", "n2", tolerate(taints.NotReady, nil))
	f.setReady("n2", StatusFalse)
	f.settle("n2")
	f.wantTaints("n2", taints.NotReady)
	f.setReady("n1", StatusFalse)
	f.settle("n1")
	f.wantTaints("n1") // no token: waits
	f.step(10 * time.Second)
	f.renew(names...)
	f.settle("n1")
	f.wantTaints("n1", taints.NotReady)
	f.step(19 * time.Second)
	f.renew(names...)
	f.reconcile("n1")
	f.wantPods("p", "r")
	f.step(time.Second)
	f.renew(names...)
	f.reconcile("n1")
	f.wantPods("r") // 20 s of not-ready tolerated, then out
	f.addPod("q", "n1", tolerate(taints.NotReady, nil), tolerate(taints.Unreachable, seconds(300)))
	f.step(grace)
	f.renew(names[1:]...)
	f.settle("n1")
	f.wantReady("n1", StatusUnknown)
	f.wantTaints("n1", taints.Unreachable)
	f.wantPods("q", "r")
}
