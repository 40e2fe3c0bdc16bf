package ctl

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/protobuf/proto"
)

func opsNode(name string) *gantryv1.Node {
	return &gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: name}}
}

// opsPod is a pod bound to node, controlled by an owner of ownerKind
// ("" for none).
func opsPod(name, node, ownerKind string) *gantryv1.Pod {
	p := &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:     &gantryv1.PodSpec{NodeName: node, Containers: []*gantryv1.Container{{Name: "c", Image: "v1"}}},
	}
	if ownerKind != "" {
		yes := true
		p.Metadata.OwnerReferences = []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: ownerKind, Name: "owner", Uid: "owner-uid", Controller: &yes}}
	}
	return p
}

func TestCordonUncordon(t *testing.T) {
	c := newOpsCluster(t)
	c.create(t, opsNode("n1"))
	unschedulable := func() bool { return c.get(t, apimeta.KindNode, "", "n1").GetNode().GetSpec().GetUnschedulable() }

	c.mustRun(t, "node/n1 cordoned\n", "cordon", "n1")
	if !unschedulable() {
		t.Fatal("spec.unschedulable not set")
	}
	c.mustRun(t, "node/n1 already cordoned\n", "cordon", "node/n1")
	c.mustRun(t, "node/n1 uncordoned\n", "uncordon", "n1")
	if unschedulable() {
		t.Fatal("spec.unschedulable still set")
	}
	c.mustRun(t, "node/n1 already uncordoned\n", "uncordon", "no/n1")
	c.mustFail(t, []string{"cordon", "n9"}, "node/n9: not found")
	c.mustFail(t, []string{"cordon", "deploy/web"}, `"deploy/web" is not a node`)
	c.mustFail(t, []string{"cordon"}, "requires at least 1 arg")
}

// fakeNodeAgent finishes the graceful deletions of pods bound to node, as
// the node agent does once their containers stopped, until ctx ends.
func fakeNodeAgent(ctx context.Context, c *opsCluster, node string) {
	grace := int64(0)
	for ctx.Err() == nil {
		resp, err := c.cl.ListAll(ctx, &gantryv1.ListRequest{Kind: apimeta.KindPod, FieldSelector: "spec.nodeName=" + node})
		if err == nil {
			for _, o := range resp.GetItems() {
				m := apimeta.Meta(o)
				if m.GetDeletionTimestamp() != nil {
					_, _ = c.cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: m.GetNamespace(), Name: m.GetName(),
						Preconditions: &gantryv1.Preconditions{Uid: m.GetUid()}, GracePeriodSeconds: &grace})
				}
			}
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
}

func podNames(t *testing.T, c *opsCluster, node string) []string {
	t.Helper()
	resp, err := c.cl.ListAll(context.Background(), &gantryv1.ListRequest{Kind: apimeta.KindPod, FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range resp.GetItems() {
		out = append(out, apimeta.Meta(o).GetName())
	}
	sort.Strings(out)
	return out
}

func TestDrain(t *testing.T) {
	c := newOpsCluster(t)
	for _, n := range []string{"n1", "n2", "n3"} {
		c.create(t, opsNode(n))
	}
	c.create(t, opsPod("web-1", "n1", "ReplicaSet"))
	c.create(t, opsPod("web-2", "n1", "ReplicaSet"))
	c.create(t, opsPod("bare", "n1", ""))
	c.create(t, opsPod("agent", "n1", "DaemonSet"))
	c.create(t, opsPod("elsewhere", "n2", "ReplicaSet"))
	done := c.create(t, opsPod("done", "n1", ""))
	finished := done.GetPod()
	finished.Status = &gantryv1.PodStatus{Phase: "Succeeded"}
	finished.Metadata.ResourceVersion = ""
	if _, err := c.cl.UpdateStatus(context.Background(), apimeta.Wrap(finished)); err != nil {
		t.Fatal(err)
	}

	t.Run("refuses pods that would not come back", func(t *testing.T) {
		out := c.mustFail(t, []string{"drain", "n1"},
			`error: unable to drain node "n1": cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent; `+
				`cannot delete Pods that declare no controller (use --force to override): default/bare`)
		if out != "node/n1 cordoned\n" {
			t.Fatalf("stdout %q: want the node cordoned and nothing evicted", out)
		}
		if got := strings.Join(podNames(t, c, "n1"), " "); got != "agent bare done web-1 web-2" {
			t.Fatalf("pods on n1: %s; a refused drain must evict nothing", got)
		}
		if !c.get(t, apimeta.KindNode, "", "n1").GetNode().GetSpec().GetUnschedulable() {
			t.Fatal("a refused drain leaves the node cordoned, as kubectl does")
		}
	})
	t.Run("evicts and waits for graceful deletion", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		r := c.start(context.Background(), "drain", "n1", "--force", "--ignore-daemonsets", "--timeout=50s")
		// The pods are marked for deletion but stay (30 s grace) until
		// their node agent is done with them: drain must still be waiting.
		waitOutput(t, r, "evicting pod default/web-2\n")
		testutil.Eventually(t, 10*time.Second, func() error {
			for _, n := range []string{"web-1", "web-2", "bare"} {
				if c.get(t, apimeta.KindPod, "default", n).GetPod().GetMetadata().GetDeletionTimestamp() == nil {
					return fmt.Errorf("pod %s not marked for deletion yet", n)
				}
			}
			return nil
		})
		select {
		case <-r.done:
			t.Fatalf("drain ended (exit %d) while evicted pods were still terminating:\n%s", r.code, r.out.String())
		default:
		}
		wg.Go(func() { fakeNodeAgent(ctx, c, "n1") })
		r.wait(t)
		if r.code != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.out.String(), r.err.String())
		}
		lines := strings.Split(strings.TrimSpace(r.out.String()), "\n")
		head := "node/n1 already cordoned\nevicting pod default/bare\nevicting pod default/done\nevicting pod default/web-1\nevicting pod default/web-2"
		if strings.Join(lines[:5], "\n") != head || lines[len(lines)-1] != "node/n1 drained" {
			t.Fatalf("stdout:\n%s\nwant it to start with\n%s\nand end with node/n1 drained", r.out.String(), head)
		}
		evicted := append([]string(nil), lines[5:len(lines)-1]...)
		sort.Strings(evicted)
		if strings.Join(evicted, ",") != "pod/bare evicted,pod/done evicted,pod/web-1 evicted,pod/web-2 evicted" {
			t.Fatalf("evicted lines %q", evicted)
		}
		wantErr := "Warning: ignoring DaemonSet-managed Pods: default/agent\nWarning: deleting Pods that declare no controller: default/bare\n"
		if r.err.String() != wantErr {
			t.Fatalf("stderr %q, want %q", r.err.String(), wantErr)
		}
		if got := strings.Join(podNames(t, c, "n1"), " "); got != "agent" {
			t.Fatalf("pods left on n1: %s, want only the DaemonSet's", got)
		}
		if got := strings.Join(podNames(t, c, "n2"), " "); got != "elsewhere" {
			t.Fatalf("pods on n2: %s; drain must not touch other nodes", got)
		}
	})
	t.Run("grace period zero removes at once", func(t *testing.T) {
		c.create(t, opsPod("quick", "n2", "ReplicaSet"))
		c.mustRun(t, "node/n2 cordoned\nevicting pod default/elsewhere\nevicting pod default/quick\npod/elsewhere evicted\npod/quick evicted\nnode/n2 drained\n",
			"drain", "node/n2", "--grace-period=0")
	})
	t.Run("timeout", func(t *testing.T) {
		c.create(t, opsPod("slow", "n3", "ReplicaSet"))
		out := c.mustFail(t, []string{"drain", "n3", "--timeout=1s"},
			`unable to drain node "n3": drain timed out after 1s: waiting for pods to terminate: default/slow`)
		if out != "node/n3 cordoned\nevicting pod default/slow\n" {
			t.Fatalf("stdout %q", out)
		}
	})
	t.Run("an empty node", func(t *testing.T) {
		c.create(t, opsNode("n4"))
		c.mustRun(t, "node/n4 cordoned\nnode/n4 drained\n", "drain", "n4")
	})
	t.Run("bad input", func(t *testing.T) {
		c.mustFail(t, []string{"drain", "n9"}, "node/n9: not found")
		c.mustFail(t, []string{"drain"}, "accepts 1 arg")
		c.mustFail(t, []string{"drain", "svc/n1"}, `"svc/n1" is not a node`)
	})
}

func TestPlanDrain(t *testing.T) {
	finished := opsPod("finished", "n1", "")
	finished.Status = &gantryv1.PodStatus{Phase: "Failed"}
	finishedDS := opsPod("finished-ds", "n1", "DaemonSet")
	finishedDS.Status = &gantryv1.PodStatus{Phase: "Succeeded"}
	pods := []*gantryv1.Pod{opsPod("rs", "n1", "ReplicaSet"), opsPod("bare", "n1", ""), opsPod("ds", "n1", "DaemonSet"), finished, finishedDS}
	names := func(ps []*gantryv1.Pod) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.GetMetadata().GetName())
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		force, ignoreDS     bool
		evict, fatal, warns string
	}{
		{false, false, "rs,finished,finished-ds",
			unmanagedFatal + ": default/bare; " + daemonSetFatal + ": default/ds", ""},
		{true, false, "rs,bare,finished,finished-ds", daemonSetFatal + ": default/ds", unmanagedWarning + ": default/bare"},
		{false, true, "rs,finished,finished-ds", unmanagedFatal + ": default/bare", daemonSetWarning + ": default/ds"},
		{true, true, "rs,bare,finished,finished-ds", "", unmanagedWarning + ": default/bare|" + daemonSetWarning + ": default/ds"},
	}
	for _, tc := range cases {
		p := planDrain(pods, &drainOptions{force: tc.force, ignoreDaemonSets: tc.ignoreDS})
		fatal := ""
		if err := p.err(); err != nil {
			fatal = err.Error()
		}
		if names(p.evict) != tc.evict || fatal != tc.fatal || strings.Join(p.warn.lines(), "|") != tc.warns {
			t.Errorf("force=%v ignore-daemonsets=%v: evict %q, fatal %q, warnings %q; want %q, %q, %q",
				tc.force, tc.ignoreDS, names(p.evict), fatal, p.warn.lines(), tc.evict, tc.fatal, tc.warns)
		}
	}
}

// runningReadyPod creates a ReplicaSet's pod on node with labels and
// reports it Running and Ready, so that a disruption budget counts it.
func runningReadyPod(t *testing.T, c *opsCluster, name, node string, labels map[string]string) {
	t.Helper()
	p := opsPod(name, node, "ReplicaSet")
	p.Metadata.Labels = labels
	p = c.create(t, p).GetPod()
	p.Status = &gantryv1.PodStatus{Phase: "Running", Conditions: []*gantryv1.Condition{{Type: "Ready", Status: "True"}}}
	if _, err := c.cl.UpdateStatus(context.Background(), apimeta.Wrap(p)); err != nil {
		t.Fatal(err)
	}
}

// setAllowed sets a budget's status as the disruption controller would.
func setAllowed(t *testing.T, c *opsCluster, name string, allowed int32) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() error {
		pdb := c.get(t, apimeta.KindPodDisruptionBudget, "default", name).GetPodDisruptionBudget()
		pdb.Status = &gantryv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.GetMetadata().GetGeneration(),
			DisruptionsAllowed: allowed, CurrentHealthy: 2 + allowed, DesiredHealthy: 2, ExpectedPods: 2 + allowed}
		_, err := c.cl.UpdateStatus(context.Background(), apimeta.Wrap(pdb))
		return err
	})
}

// TestDrainHonoursDisruptionBudget: drain evicts through the Eviction API;
// while the pod's budget allows no disruption it says so and retries, and
// it goes on once the budget allows — or gives up at --timeout.
func TestDrainHonoursDisruptionBudget(t *testing.T) {
	defer func(d time.Duration) { evictRetryInterval = d }(evictRetryInterval)
	evictRetryInterval = 100 * time.Millisecond
	c := newOpsCluster(t)
	c.create(t, opsNode("n1"))
	c.create(t, opsNode("n2"))
	db := map[string]string{"app": "db"}
	runningReadyPod(t, c, "db-1", "n1", db)
	runningReadyPod(t, c, "db-2", "n2", db)
	c.create(t, &gantryv1.PodDisruptionBudget{Metadata: &gantryv1.ObjectMeta{Name: "db", Namespace: "default"},
		Spec: &gantryv1.PodDisruptionBudgetSpec{MinAvailable: proto.String("2"), Selector: &gantryv1.LabelSelector{MatchLabels: db}}})
	setAllowed(t, c, "db", 0)

	t.Run("gives up at the timeout", func(t *testing.T) {
		c.mustFail(t, []string{"drain", "n2", "--timeout=1s", "--grace-period=0"},
			"error when evicting pods/db-2 (will retry after 100ms): Cannot evict pod as it would violate the pod's disruption budget.",
			`unable to drain node "n2": drain timed out after 1s`)
		if got := strings.Join(podNames(t, c, "n2"), " "); got != "db-2" {
			t.Fatalf("pods on n2: %s; the budget must keep db-2", got)
		}
	})
	t.Run("blocks, then goes on once allowed", func(t *testing.T) {
		r := c.start(context.Background(), "drain", "n1", "--timeout=50s", "--grace-period=0")
		testutil.Eventually(t, 10*time.Second, func() error {
			if !strings.Contains(r.err.String(), "error when evicting pods/db-1 (will retry after 100ms): Cannot evict pod as it would violate the pod's disruption budget.") {
				return fmt.Errorf("stderr %q", r.err.String())
			}
			return nil
		})
		if got := strings.Join(podNames(t, c, "n1"), " "); got != "db-1" {
			t.Fatalf("pods on n1: %s; the budget must keep db-1 while it allows nothing", got)
		}
		// A replacement became Ready elsewhere: the budget allows one.
		setAllowed(t, c, "db", 1)
		r.wait(t)
		if r.code != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.out.String(), r.err.String())
		}
		if want := "node/n1 cordoned\nevicting pod default/db-1\npod/db-1 evicted\nnode/n1 drained\n"; r.out.String() != want {
			t.Fatalf("stdout %q, want %q", r.out.String(), want)
		}
		st := c.get(t, apimeta.KindPodDisruptionBudget, "default", "db").GetPodDisruptionBudget().GetStatus()
		if st.GetDisruptionsAllowed() != 0 || st.GetDisruptedPods()["db-1"] == nil {
			t.Fatalf("budget status %v: want the disruption spent and db-1 recorded", st)
		}
	})
	t.Run("a pod held back does not hold back the others", func(t *testing.T) {
		c.create(t, opsNode("n3"))
		runningReadyPod(t, c, "db-3", "n3", db)
		runningReadyPod(t, c, "web-3", "n3", map[string]string{"app": "web"})
		setAllowed(t, c, "db", 0)
		c.mustFail(t, []string{"drain", "n3", "--timeout=2s", "--grace-period=0"},
			"error when evicting pods/db-3 (will retry after 100ms)",
			`unable to drain node "n3": drain timed out after 2s: evict pod default/db-3`)
		if got := strings.Join(podNames(t, c, "n3"), " "); got != "db-3" {
			t.Fatalf("pods on n3: %s; web-3 (no budget) must be evicted while db-3 waits for its budget", got)
		}
	})
}
