package scheduler

import (
	"errors"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/leaderelect"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// waitLeader waits until exactly one of the replicas leads and returns it.
func waitLeader(t *testing.T, rs ...*replica) *replica {
	t.Helper()
	var leader *replica
	testutil.Eventually(t, 20*time.Second, func() error {
		leader = nil
		n := 0
		for _, r := range rs {
			if r.s.Leading() {
				leader, n = r, n+1
			}
		}
		if n != 1 {
			return fmt.Errorf("%d replicas lead, want 1", n)
		}
		return nil
	})
	return leader
}

func TestScheduler(t *testing.T) {
	e := newEnv(t)
	rebinds := e.watchRebinds()
	for _, n := range []string{"n1", "n2", "n3"} {
		e.createNode(n, "2")
	}
	r1, r2 := e.startScheduler("s1"), e.startScheduler("s2")
	leader := waitLeader(t, r1, r2)

	t.Run("status on every replica", func(t *testing.T) {
		testutil.Eventually(t, 10*time.Second, func() error {
			for _, r := range []*replica{r1, r2} {
				st, err := r.svc.Status(e.ctx(), &gantryv1.SchedulerServiceStatusRequest{})
				if err != nil {
					return err
				}
				if st.GetNodes() != 3 || st.GetSchedulerName() != DefaultSchedulerName || st.GetLeading() != (r == leader) {
					return fmt.Errorf("%s status %v", r.s.Identity(), st)
				}
			}
			return nil
		})
	})

	t.Run("spreads a ReplicaSet's pods", func(t *testing.T) {
		var names []string
		for i := range 6 {
			names = append(names, fmt.Sprintf("web-%d", i))
			e.createPod(names[i], "100m", ownedBy("rs-web"))
		}
		perNode := map[string]int{}
		for _, node := range e.waitBound(names...) {
			perNode[node]++
		}
		if len(perNode) != 3 || perNode["n1"] != 2 || perNode["n2"] != 2 || perNode["n3"] != 2 {
			t.Fatalf("pods per node %v, want 2 on each of n1, n2, n3", perNode)
		}
	})

	t.Run("a pod too big stays pending with the reason", func(t *testing.T) {
		e.createPod("big", "3")
		testutil.Eventually(t, 20*time.Second, func() error {
			p := e.getPod("big")
			c := podScheduledCondition(p)
			want := "0/3 nodes are available: 3 Insufficient cpu."
			if c.GetMessage() != want || c.GetStatus() != "False" || c.GetReason() != "Unschedulable" {
				return fmt.Errorf("condition %v, want message %q", c, want)
			}
			if p.GetSpec().GetNodeName() != "" {
				return fmt.Errorf("bound to %s", p.GetSpec().GetNodeName())
			}
			if p.GetStatus().GetPhase() != "Pending" {
				return fmt.Errorf("phase %q, want Pending", p.GetStatus().GetPhase())
			}
			return nil
		})
		st, err := leader.svc.Status(e.ctx(), &gantryv1.SchedulerServiceStatusRequest{})
		if err != nil || st.GetUnschedulable()+st.GetBackoff() != 1 {
			t.Fatalf("leader status %v (%v), want the big pod waiting", st, err)
		}
	})

	t.Run("explain", func(t *testing.T) {
		ex, err := r2.svc.Explain(e.ctx(), &gantryv1.ExplainRequest{Namespace: "default", Name: "big"})
		if err != nil {
			t.Fatal(err)
		}
		if ex.GetSummary() != "0/3 nodes are available: 3 Insufficient cpu." || ex.GetChosen() != "" || len(ex.GetNodes()) != 3 {
			t.Fatalf("Explain(big) = %v", ex)
		}
		for _, v := range ex.GetNodes() {
			if v.GetFeasible() || v.GetFilter() != "NodeResourcesFit" || v.GetReason() != "Insufficient cpu" {
				t.Fatalf("verdict %v, want NodeResourcesFit: Insufficient cpu", v)
			}
		}
		e.createPod("small", "100m")
		e.waitBound("small")
		ex, err = leader.svc.Explain(e.ctx(), &gantryv1.ExplainRequest{Name: "web-0"})
		if err != nil || ex.GetChosen() == "" || ex.GetSummary() != "" {
			t.Fatalf("Explain(web-0) = %v, %v; want a chosen node", ex, err)
		}
		if _, err := r1.svc.Explain(e.ctx(), &gantryv1.ExplainRequest{Name: "nope"}); status.Code(err) != codes.NotFound {
			t.Fatalf("Explain(nope): %v, want NotFound", err)
		}
	})

	t.Run("pods of another scheduler are left alone", func(t *testing.T) {
		e.createPod("custom", "100m", schedulerName("my-scheduler"))
		e.createPod("after-custom", "100m")
		e.waitBound("after-custom")
		p := e.getPod("custom")
		if p.GetSpec().GetNodeName() != "" || podScheduledCondition(p) != nil {
			t.Fatalf("pod of another scheduler touched: node %q, condition %v", p.GetSpec().GetNodeName(), podScheduledCondition(p))
		}
		for _, r := range []*replica{r1, r2} {
			if r.s.queue.Has("default/custom") {
				t.Fatalf("%s queued a pod of another scheduler", r.s.Identity())
			}
		}
	})

	t.Run("a node that fits schedules the pending pod", func(t *testing.T) {
		e.createNode("n4", "4")
		if node := e.waitBound("big")["big"]; node != "n4" {
			t.Fatalf("big bound to %s, want n4", node)
		}
	})

	t.Run("unschedulable and not-ready nodes", func(t *testing.T) {
		e.createNode("n5", "64", unschedulableNode)
		e.createNode("n6", "64", func(n *gantryv1.Node) { n.Status.Conditions[0].Status = "False" })
		e.createPod("huge", "32")
		want := "0/6 nodes are available: 4 Insufficient cpu, 1 node(s) were not ready, 1 node(s) were unschedulable."
		testutil.Eventually(t, 20*time.Second, func() error {
			if got := podScheduledCondition(e.getPod("huge")).GetMessage(); got != want {
				return fmt.Errorf("message %q, want %q", got, want)
			}
			return nil
		})
		// Cordoning off n5 ends: the update moves the pod at once.
		o, err := e.c.Get(e.ctx(), apimeta.KindNode, "", "n5")
		if err != nil {
			t.Fatal(err)
		}
		o.GetNode().Spec.Unschedulable = false
		if _, err := e.c.Update(e.ctx(), o); err != nil {
			t.Fatal(err)
		}
		if node := e.waitBound("huge")["huge"]; node != "n5" {
			t.Fatalf("huge bound to %s, want n5", node)
		}
	})

	t.Run("a finished pod frees its node", func(t *testing.T) {
		p := e.getPod("small")
		before, _ := leader.s.cache.NodeRequested(p.GetSpec().GetNodeName())
		p.Status = &gantryv1.PodStatus{Phase: "Succeeded"}
		if _, err := e.c.UpdateStatus(e.ctx(), apimeta.Wrap(p)); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, func() error {
			after, _ := leader.s.cache.NodeRequested(p.GetSpec().GetNodeName())
			if after.MilliCPU != before.MilliCPU-100 || after.Pods != before.Pods-1 {
				return fmt.Errorf("node %s requests %dm for %d pods, was %dm for %d", p.GetSpec().GetNodeName(),
					after.MilliCPU, after.Pods, before.MilliCPU, before.Pods)
			}
			return nil
		})
	})

	t.Run("never binds twice", func(t *testing.T) {
		rebinds.check(t)
		// The Bind answer may reach the binder after the informer shows
		// the pod bound; wait for the count.
		testutil.Eventually(t, 10*time.Second, func() error {
			st, err := leader.svc.Status(e.ctx(), &gantryv1.SchedulerServiceStatusRequest{})
			if err != nil {
				return err
			}
			// web-0..5, small, after-custom, big, huge.
			if st.GetScheduledTotal() != 10 || st.GetBindConflictsTotal() != 0 {
				return fmt.Errorf("scheduled %d with %d conflicts, want 10 and 0", st.GetScheduledTotal(), st.GetBindConflictsTotal())
			}
			return nil
		})
		for _, r := range []*replica{r1, r2} {
			if r != leader {
				if st, _ := r.svc.Status(e.ctx(), &gantryv1.SchedulerServiceStatusRequest{}); st.GetScheduledTotal() != 0 {
					t.Fatalf("standby %s scheduled %d pods", r.s.Identity(), st.GetScheduledTotal())
				}
			}
		}
	})

	t.Run("losing the lease ends Run with ErrLost", func(t *testing.T) {
		// The leader renews every 200 ms: retry the read-modify-write.
		testutil.Eventually(t, 10*time.Second, func() error {
			o, err := e.c.Get(e.ctx(), apimeta.KindLease, "gantry-system", "gantry-scheduler")
			if err != nil {
				return err
			}
			if got := o.GetLease().GetSpec().GetHolderIdentity(); got != leader.s.Identity() {
				t.Fatalf("lease held by %q, want %q", got, leader.s.Identity())
			}
			o.GetLease().Spec.HolderIdentity = "usurper"
			_, err = e.c.Update(e.ctx(), o)
			return err
		})
		select {
		case err := <-leader.done:
			if !errors.Is(err, leaderelect.ErrLost) {
				t.Fatalf("Run = %v, want ErrLost", err)
			}
			close(leader.done)
		case <-time.After(20 * time.Second):
			t.Fatal("the leader did not notice it lost the lease")
		}
	})
}
