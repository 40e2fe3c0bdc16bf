package scheduler

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/scheduler/framework"
)

// TestScale binds GANTRY_SCALE_PODS pods (default 10,000) on
// GANTRY_SCALE_NODES nodes (default 1,000) through a three-master
// in-process cluster and reports how long it took. It runs only when
// GANTRY_SCALE=1:
//
//	GANTRY_SCALE=1 go test -run TestScale -v ./services/scheduler/
func TestScale(t *testing.T) {
	if os.Getenv("GANTRY_SCALE") != "1" {
		t.Skip("set GANTRY_SCALE=1 to run the scale test")
	}
	nodes, pods := envInt("GANTRY_SCALE_NODES", 1000), envInt("GANTRY_SCALE_PODS", 10000)
	e := newEnv(t)
	e.batchCreate(nodes, func(i int) *gantryv1.Object {
		return apimeta.Wrap(&gantryv1.Node{
			Metadata: &gantryv1.ObjectMeta{Name: fmt.Sprintf("sim-%04d", i)},
			Spec:     &gantryv1.NodeSpec{},
			Status: &gantryv1.NodeStatus{
				Allocatable: map[string]string{"cpu": "32", "memory": "128Gi", "pods": "110"},
				Conditions:  []*gantryv1.Condition{{Type: "Ready", Status: "True"}},
			},
		})
	})
	yes := true
	createPods := func() time.Duration {
		start := time.Now()
		e.batchCreate(pods, func(i int) *gantryv1.Object {
			return apimeta.Wrap(&gantryv1.Pod{
				Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("web-%05d", i),
					OwnerReferences: []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", Uid: "web-uid", Controller: &yes}}},
				Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: "web",
					Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": "100m", "memory": "64Mi"}}}}},
			})
		})
		return time.Since(start)
	}
	// Backlog mode: every pod exists before the scheduler starts, so the
	// figure is the scheduler's own rate (with its Bind writes).
	backlog := os.Getenv("GANTRY_SCALE_BACKLOG") == "1"
	var created time.Duration
	if backlog {
		created = createPods()
	}
	r := e.startScheduler("scale")
	waitLeader(t, r)
	testutil.Eventually(t, 30*time.Second, func() error {
		if n, _, _ := r.s.cache.Stats(); n != nodes {
			return fmt.Errorf("%d nodes cached", n)
		}
		return nil
	})
	start := time.Now()
	if !backlog {
		created = createPods()
	}
	testutil.Eventually(t, 120*time.Second, func() error {
		if n := r.s.scheduled.Load(); n < int64(pods) {
			return fmt.Errorf("%d of %d pods bound", n, pods)
		}
		return nil
	})
	bound := time.Since(start)
	resp, err := e.c.ListAll(e.ctx(), &gantryv1.ListRequest{Kind: apimeta.KindPod, FieldSelector: "spec.nodeName="})
	if err != nil || len(resp.GetItems()) != 0 {
		t.Fatalf("unbound pods left: %d (%v)", len(resp.GetItems()), err)
	}
	confirmed := time.Since(start)
	st, _ := r.svc.Status(e.ctx(), &gantryv1.SchedulerServiceStatusRequest{})
	calls, mean := bindBatches(t, r.s)
	lo, hi := podsPerNode(r.s)
	t.Logf("%d Bind calls, %.1f bindings per call; pods per node %d to %d", calls, mean, lo, hi)
	t.Logf("backlog=%v: %d pods on %d nodes: created in %v, all bound after %v (%.0f pods/s), confirmed by List after %v; conflicts %d",
		backlog, pods, nodes, created.Round(time.Millisecond), bound.Round(time.Millisecond), float64(pods)/bound.Seconds(),
		confirmed.Round(time.Millisecond), st.GetBindConflictsTotal())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// batchCreate creates n objects, 500 per Batch call.
func (e *env) batchCreate(n int, obj func(i int) *gantryv1.Object) {
	e.t.Helper()
	for lo := 0; lo < n; lo += 500 {
		req := &gantryv1.BatchRequest{}
		for i := lo; i < min(lo+500, n); i++ {
			req.Ops = append(req.Ops, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Create{Create: obj(i)}})
		}
		resp, err := e.c.Resources().Batch(e.ctx(), req)
		if err != nil {
			e.t.Fatalf("batch create: %v", err)
		}
		for _, r := range resp.GetResults() {
			if r.GetCode() != 0 {
				e.t.Fatalf("batch create: code %d: %s", r.GetCode(), r.GetMessage())
			}
		}
	}
}

// bindBatches returns the number of Bind calls and their mean size.
func bindBatches(t *testing.T, s *Scheduler) (uint64, float64) {
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gantry_scheduler_bind_batch_size" {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum() / float64(max(h.GetSampleCount(), 1))
		}
	}
	return 0, 0
}

// podsPerNode returns the fewest and most pods on one node.
func podsPerNode(s *Scheduler) (lo, hi int64) {
	lo = 1 << 62
	s.cache.View(func(nodes []*framework.NodeInfo) {
		for _, n := range nodes {
			lo, hi = min(lo, n.PodCount()), max(hi, n.PodCount())
		}
	})
	return lo, hi
}
