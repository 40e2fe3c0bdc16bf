package disruption

import (
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func testPod(name string, ready, deleting bool) *gantryv1.Pod {
	st := "False"
	if ready {
		st = "True"
	}
	p := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Status: &gantryv1.PodStatus{Phase: "Running", Conditions: []*gantryv1.Condition{{Type: "Ready", Status: st}}}}
	if deleting {
		p.Metadata.DeletionTimestamp = timestamppb.New(t0)
	}
	return p
}

// fiveReplicas: every pod belongs to one controller of 5 replicas.
func fiveReplicas(*gantryv1.Pod) (string, int32, bool) { return "rs-uid", 5, true }

func TestComputeStatus(t *testing.T) {
	spec := func(minAvail, maxUnavail *string) *gantryv1.PodDisruptionBudgetSpec {
		return &gantryv1.PodDisruptionBudgetSpec{MinAvailable: minAvail, MaxUnavailable: maxUnavail}
	}
	four := []*gantryv1.Pod{testPod("a", true, false), testPod("b", true, false), testPod("c", true, false), testPod("d", false, false)}
	cases := []struct {
		name                                string
		spec                                *gantryv1.PodDisruptionBudgetSpec
		pods                                []*gantryv1.Pod
		disrupted                           map[string]*timestamppb.Timestamp
		expected, healthy, desired, allowed int32
		keptDisrupted                       []string
	}{
		{name: "minAvailable integer counts the selected pods", spec: spec(proto.String("2"), nil), pods: four,
			expected: 4, healthy: 3, desired: 2, allowed: 1},
		{name: "minAvailable percent of the controller's replicas", spec: spec(proto.String("50%"), nil), pods: four,
			expected: 5, healthy: 3, desired: 3, allowed: 0},
		{name: "maxUnavailable of the replicas", spec: spec(nil, proto.String("1")), pods: four,
			expected: 5, healthy: 3, desired: 4, allowed: 0},
		{name: "maxUnavailable percent rounds up", spec: spec(nil, proto.String("50%")), pods: four,
			expected: 5, healthy: 3, desired: 2, allowed: 1},
		{name: "a pod being deleted is not healthy", spec: spec(proto.String("1"), nil),
			pods:     []*gantryv1.Pod{testPod("a", true, true), testPod("b", true, false)},
			expected: 2, healthy: 1, desired: 1, allowed: 0},
		{name: "recently evicted pods count as disrupted; deleted and expired entries go", spec: spec(proto.String("1"), nil), pods: four,
			disrupted: map[string]*timestamppb.Timestamp{"a": timestamppb.New(t0.Add(-time.Minute)), "b": timestamppb.New(t0.Add(-3 * time.Minute)),
				"gone": timestamppb.New(t0)},
			expected: 4, healthy: 2, desired: 1, allowed: 1, keptDisrupted: []string{"a"}},
		{name: "no pods allow nothing", spec: spec(nil, proto.String("1")), expected: 0, healthy: 0, desired: 0, allowed: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pdb := &gantryv1.PodDisruptionBudget{Metadata: &gantryv1.ObjectMeta{Name: "p", Generation: 3}, Spec: c.spec,
				Status: &gantryv1.PodDisruptionBudgetStatus{DisruptedPods: c.disrupted}}
			st, recheck := computeStatus(pdb, c.pods, fiveReplicas, t0, 2*time.Minute)
			if st.GetExpectedPods() != c.expected || st.GetCurrentHealthy() != c.healthy || st.GetDesiredHealthy() != c.desired ||
				st.GetDisruptionsAllowed() != c.allowed || st.GetObservedGeneration() != 3 {
				t.Fatalf("status %v; want expected %d healthy %d desired %d allowed %d", st, c.expected, c.healthy, c.desired, c.allowed)
			}
			if len(st.GetDisruptedPods()) != len(c.keptDisrupted) {
				t.Fatalf("disruptedPods %v, want %v", st.GetDisruptedPods(), c.keptDisrupted)
			}
			for _, n := range c.keptDisrupted {
				if st.GetDisruptedPods()[n] == nil {
					t.Fatalf("disruptedPods %v lost %s", st.GetDisruptedPods(), n)
				}
			}
			if len(c.keptDisrupted) > 0 && recheck != time.Minute {
				t.Errorf("recheck in %s, want 1m (when a's entry expires)", recheck)
			}
			cond := st.GetConditions()[0]
			if want := map[bool]string{true: "True", false: "False"}[c.allowed > 0]; cond.GetType() != "DisruptionAllowed" || cond.GetStatus() != want {
				t.Errorf("condition %v, want DisruptionAllowed=%s", cond, want)
			}
		})
	}
}
