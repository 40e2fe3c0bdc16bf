package nodelifecycle

import (
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/taints"
)

// A node whose lease stops changing is Unknown after the grace period
// (by the controller's clock, whatever the agent's clock says) and then
// tainted unreachable; a node whose lease keeps changing is not, though
// its renew times are 31 years behind the controller's clock.
func TestGracePeriodMarksUnknownAndTaints(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.c.begin()
	start := f.w.Clock.Now()
	f.step(grace - time.Second)
	f.renew("n2", "n3")
	f.settle("n1", "n2", "n3")
	for _, n := range []string{"n1", "n2", "n3"} {
		f.wantReady(n, StatusTrue)
		f.wantTaints(n)
	}
	f.step(time.Second)
	f.reconcile("n1")
	f.wantReady("n1", StatusUnknown)
	c := readyCondition(f.node("n1"))
	if c.GetReason() != ReasonUnknown || c.GetMessage() != MessageUnknown {
		t.Errorf("Ready = %v, want reason %s", c, ReasonUnknown)
	}
	if !c.GetLastTransitionTime().AsTime().Equal(start.Add(grace)) {
		t.Errorf("lastTransitionTime %v, want %v (the controller's clock)", c.GetLastTransitionTime().AsTime(), start.Add(grace))
	}
	if c.GetLastHeartbeatTime().AsTime().Year() != 1999 {
		t.Errorf("lastHeartbeatTime %v: must stay the agent's", c.GetLastHeartbeatTime().AsTime())
	}
	f.reconcile("n1")
	f.wantTaints("n1", taints.Unreachable)
	if added := f.node("n1").GetSpec().GetTaints()[0].GetTimeAdded().AsTime(); !added.Equal(start.Add(grace)) {
		t.Errorf("time_added %v, want %v", added, start.Add(grace))
	}
	f.settle("n2", "n3")
	f.wantReady("n2", StatusTrue)
	f.wantTaints("n2")
	if f.c.Braked() {
		t.Error("braked with 1 of 3 nodes down")
	}
}

// A node that renews again keeps its taint until its agent posts Ready
// (and evicts nothing meanwhile: it is alive); then the taint goes.
func TestRenewalRemovesTaint(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.addPod("p", "n1", tolerate(taints.Unreachable, seconds(300)))
	f.c.begin()
	f.step(grace)
	f.renew("n2", "n3")
	f.settle("n1")
	f.wantTaints("n1", taints.Unreachable)
	f.step(time.Hour)
	f.renew("n1", "n2", "n3")
	f.settle("n1")
	f.wantTaints("n1", taints.Unreachable)
	f.wantPods("p") // an hour past its 300 s, but the node is back
	f.setReady("n1", StatusTrue)
	f.settle("n1")
	f.wantTaints("n1")
	f.wantReady("n1", StatusTrue)
	f.wantPods("p")
}

// Pods leave at once without a toleration, after their tolerationSeconds
// with one, never when they tolerate the taint for ever.
func TestTolerationSeconds(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.addPod("none", "n1")
	f.addPod("zero", "n1", tolerate(taints.Unreachable, seconds(0)))
	f.addPod("other-taint", "n1", tolerate(taints.NotReady, nil))
	f.addPod("s300", "n1", tolerate(taints.Unreachable, seconds(300)))
	f.addPod("k8s-key-60", "n1", tolerate(taints.KubernetesUnreachable, seconds(60)))
	f.addPod("forever", "n1", tolerate(taints.Unreachable, nil))
	f.addPod("elsewhere", "n2")
	f.c.begin()
	f.step(grace)
	f.renew("n2", "n3")
	f.settle("n1")
	f.wantTaints("n1", taints.Unreachable)
	f.wantPods("s300", "k8s-key-60", "forever", "elsewhere")
	f.step(59 * time.Second)
	f.renew("n2", "n3")
	f.reconcile("n1")
	f.wantPods("s300", "k8s-key-60", "forever", "elsewhere")
	f.step(time.Second)
	f.reconcile("n1")
	f.wantPods("s300", "forever", "elsewhere")
	f.step(239 * time.Second)
	f.renew("n2", "n3")
	f.reconcile("n1")
	f.wantPods("s300", "forever", "elsewhere")
	f.step(time.Second)
	f.reconcile("n1")
	f.wantPods("forever", "elsewhere")
	f.step(24 * time.Hour)
	f.renew("n2", "n3")
	f.reconcile("n1")
	f.wantPods("forever", "elsewhere")
	if got := f.c.Evictions(); got != 5 {
		t.Errorf("evictions = %d, want 5", got)
	}
	if n := f.w.Count("delete", "Pod"); n != 5 {
		t.Errorf("%d pod deletes, want 5 (each pod once)", n)
	}
}

// The controller queues the node for the moment the next toleration
// runs out.
func TestEvictionIsQueuedForTheDeadline(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.addPod("s30", "n1", tolerate(taints.Unreachable, seconds(30)))
	f.c.begin()
	f.step(grace)
	f.renew("n2", "n3")
	f.settle("n1")
	drain(f.c)
	f.reconcile("n1")
	if got := f.c.queue.Len(); got != 0 {
		t.Fatalf("queue has %d ready keys before the deadline", got)
	}
	f.step(30 * time.Second)
	waitQueued(t, f.c, "n1")
}

// New NoExecute taints come at EvictionRate nodes per second (on nodes
// that run pods); removing taints is never held back.
func TestEvictionRate(t *testing.T) {
	cfg := testConfig()
	cfg.EvictionRate = 0.1 // one node per 10 s
	names := []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10"}
	f := newFixture(t, cfg, names...)
	for _, n := range []string{"n1", "n2", "n3"} {
		f.addPod("p-"+n, n, tolerate(taints.Unreachable, nil))
	}
	f.c.begin()
	f.step(grace)
	f.renew(names[3:]...)
	f.settle("n1", "n2", "n3")
	tainted := func() int {
		n := 0
		for _, name := range []string{"n1", "n2", "n3"} {
			f.wantReady(name, StatusUnknown)
			if len(f.taintKeys(name)) > 0 {
				n++
			}
		}
		return n
	}
	if got := tainted(); got != 1 {
		t.Fatalf("%d nodes tainted at once, want 1", got)
	}
	f.step(9 * time.Second)
	f.renew(names[3:]...)
	f.settle("n1", "n2", "n3")
	if got := tainted(); got != 1 {
		t.Fatalf("%d nodes tainted after 9 s, want 1", got)
	}
	f.step(time.Second)
	f.settle("n1", "n2", "n3")
	if got := tainted(); got != 2 {
		t.Fatalf("%d nodes tainted after 10 s, want 2", got)
	}
	f.step(10 * time.Second)
	f.renew(names[3:]...)
	f.settle("n1", "n2", "n3")
	if got := tainted(); got != 3 {
		t.Fatalf("%d nodes tainted after 20 s, want 3", got)
	}
	// A node without pods has nothing to evict: it is tainted at once and
	// takes no token.
	f.step(grace)
	f.renew("n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8")
	f.settle("n9", "n10")
	f.wantTaints("n9", taints.Unreachable)
	f.wantTaints("n10", taints.Unreachable)
	// All three come back at once: every taint goes at once.
	f.renew("n1", "n2", "n3")
	for _, n := range []string{"n1", "n2", "n3"} {
		f.setReady(n, StatusTrue)
	}
	f.settle("n1", "n2", "n3")
	for _, n := range []string{"n1", "n2", "n3"} {
		f.wantTaints(n)
	}
}
