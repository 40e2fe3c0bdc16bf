package api_test

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// runningPod creates a pod on node n1 and reports it Running (Ready or not).
func runningPod(t *testing.T, m *testutil.Member, name string, labels map[string]string, ready bool) *gantryv1.Pod {
	t.Helper()
	p := create(t, m, pod("default", name, "n1", labels)).GetPod()
	readyStatus := "False"
	if ready {
		readyStatus = "True"
	}
	p.Status = &gantryv1.PodStatus{Phase: "Running", Conditions: []*gantryv1.Condition{{Type: "Ready", Status: readyStatus}}}
	resp, err := m.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: apimeta.Wrap(p)})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetObject().GetPod()
}

// budget creates a PodDisruptionBudget for app=app and sets its status as
// the disruption controller would.
func budget(t *testing.T, m *testutil.Member, name, app string, allowed, healthy, desired int32) *gantryv1.PodDisruptionBudget {
	t.Helper()
	pdb := create(t, m, apimeta.Wrap(&gantryv1.PodDisruptionBudget{Metadata: meta("default", name, nil),
		Spec: &gantryv1.PodDisruptionBudgetSpec{MinAvailable: proto.String("2"),
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": app}}}})).GetPodDisruptionBudget()
	pdb.Status = &gantryv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.GetMetadata().GetGeneration(),
		DisruptionsAllowed: allowed, CurrentHealthy: healthy, DesiredHealthy: desired, ExpectedPods: 3}
	resp, err := m.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: apimeta.Wrap(pdb)})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetObject().GetPodDisruptionBudget()
}

// gone: the pod is deleted or marked for deletion.
func gone(t *testing.T, m *testutil.Member, name string) {
	t.Helper()
	resp, err := m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: apimeta.KindPod, Namespace: "default", Name: name})
	if err == nil && resp.GetObject().GetPod().GetMetadata().GetDeletionTimestamp() == nil {
		t.Fatalf("pod %s still there, not marked for deletion", name)
	}
}

func TestEvict(t *testing.T) {
	c := newCluster(t)
	l := c.Leader()
	create(t, l, node("n1"))
	// Any master answers, followers included (they forward to the leader).
	conn, err := grpc.NewClient(c.Followers()[0].Cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pods := gantryv1.NewPodServiceClient(conn)
	evict := func(name, uid string) error {
		_, err := pods.Evict(ctxT(t), &gantryv1.EvictRequest{Namespace: "default", Name: name, Uid: uid, GracePeriodSeconds: proto.Int64(0)})
		return err
	}
	web := map[string]string{"app": "web"}
	for _, n := range []string{"web-0", "web-1", "web-2"} {
		runningPod(t, l, n, web, true)
	}
	budget(t, l, "web", "web", 1, 3, 2)

	// Allowed: the budget is spent and the pod recorded, in one write.
	if err := evict("web-0", ""); err != nil {
		t.Fatalf("evict web-0: %v", err)
	}
	gone(t, l, "web-0")
	st := get(t, l, apimeta.KindPodDisruptionBudget, "default", "web").GetPodDisruptionBudget().GetStatus()
	if st.GetDisruptionsAllowed() != 0 || st.GetDisruptedPods()["web-0"] == nil {
		t.Fatalf("budget status after the eviction: %v", st)
	}
	// Spent: refused, naming the budget; the pod stays.
	wantStatus(t, evict("web-1", ""), codes.ResourceExhausted, "Cannot evict pod as it would violate the pod's disruption budget.", "default/web")
	if p := get(t, l, apimeta.KindPod, "default", "web-1").GetPod(); p.GetMetadata().GetDeletionTimestamp() != nil {
		t.Fatal("web-1 deleted although its eviction was refused")
	}
	// A pod not yet running costs the budget nothing.
	create(t, l, pod("default", "web-pending", "", web))
	if err := evict("web-pending", ""); err != nil {
		t.Fatalf("evict a pending pod: %v", err)
	}
	gone(t, l, "web-pending")
	// A running pod that is not Ready goes while the budget is met.
	runningPod(t, l, "web-sick", web, false)
	if err := evict("web-sick", ""); err != nil {
		t.Fatalf("evict an unready pod under a met budget: %v", err)
	}
	gone(t, l, "web-sick")
	// A pod no budget selects goes freely.
	lone := runningPod(t, l, "lone", map[string]string{"app": "lone"}, true)
	wantStatus(t, evict("lone", "not-its-uid"), codes.FailedPrecondition, "uid")
	if err := evict("lone", lone.GetMetadata().GetUid()); err != nil {
		t.Fatalf("evict a pod without budget: %v", err)
	}
	gone(t, l, "lone")
	// Two budgets select the pod: not supported.
	budget(t, l, "web-too", "web", 1, 3, 2)
	wantStatus(t, evict("web-1", ""), codes.FailedPrecondition, "more than one PodDisruptionBudget")
	del(t, l, apimeta.KindPodDisruptionBudget, "default", "web-too")
	// A budget the controller has not observed since its last change.
	pdb := get(t, l, apimeta.KindPodDisruptionBudget, "default", "web").GetPodDisruptionBudget()
	pdb.Spec.MinAvailable = proto.String("1")
	pdb = update(t, l, apimeta.Wrap(pdb)).GetPodDisruptionBudget()
	pdb.Status.DisruptionsAllowed = 1
	pdb.Status.DisruptedPods = map[string]*timestamppb.Timestamp{}
	if _, err := l.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: apimeta.Wrap(pdb)}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, evict("web-1", ""), codes.ResourceExhausted, "not been observed")

	wantStatus(t, evict("", ""), codes.InvalidArgument, "name")
	wantStatus(t, evict("missing", ""), codes.NotFound, "missing")
	_, err = pods.Evict(ctxT(t), &gantryv1.EvictRequest{Name: "web-1", GracePeriodSeconds: proto.Int64(-1)})
	wantStatus(t, err, codes.InvalidArgument, "gracePeriodSeconds")
}
