package framework

import (
	"fmt"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestScheduleSpreadsOwnerPods(t *testing.T) {
	nodes := cluster(3, "4", "4Gi", "110")
	a := NewAlgorithm(Default(), 0, 1)
	counts := map[string]int{}
	for i := range 6 {
		p := podInfo(fmt.Sprintf("p%d", i), "100m", "64Mi", ownedBy("rs"))
		res := a.Schedule(p, nodes)
		if res.Node == "" {
			t.Fatalf("pod %d not placed: %s", i, res.Diagnosis.Message())
		}
		for _, n := range nodes {
			if n.Name == res.Node {
				n.AddPod(p)
			}
		}
		counts[res.Node]++
	}
	for _, n := range nodes {
		if counts[n.Name] != 2 {
			t.Fatalf("placement %v, want 2 pods on every node", counts)
		}
	}
}

func TestSchedulePrefersLeastAllocated(t *testing.T) {
	nodes := cluster(3, "4", "4Gi", "110")
	nodes[0].AddPod(podInfo("a", "3", "3Gi"))
	nodes[2].AddPod(podInfo("b", "1", "1Gi"))
	a := NewAlgorithm(Default(), 0, 1)
	for range 20 {
		if res := a.Schedule(podInfo("p", "100m", "100Mi"), nodes); res.Node != nodes[1].Name {
			t.Fatalf("chose %q, want the empty node %q", res.Node, nodes[1].Name)
		}
	}
}

func TestScheduleBreaksTiesAtRandom(t *testing.T) {
	nodes := cluster(4, "4", "4Gi", "110")
	a := NewAlgorithm(Default(), 100, 7)
	seen := map[string]bool{}
	for range 200 {
		seen[a.Schedule(podInfo("p", "100m", "100Mi"), nodes).Node] = true
	}
	if len(seen) != len(nodes) {
		t.Fatalf("ties went to %v, want every one of %d equal nodes", seen, len(nodes))
	}
}

func TestScheduleDiagnosis(t *testing.T) {
	nodes := cluster(3, "1", "1Gi", "110")
	nodes[2].SetNode(&gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: nodes[2].Name},
		Spec:     &gantryv1.NodeSpec{Unschedulable: true},
		Status: &gantryv1.NodeStatus{Allocatable: map[string]string{"cpu": "8", "pods": "110"},
			Conditions: []*gantryv1.Condition{{Type: "Ready", Status: "True"}}},
	})
	res := NewAlgorithm(Default(), 0, 1).Schedule(podInfo("p", "2", ""), nodes)
	if res.Node != "" {
		t.Fatalf("placed on %s, want nowhere", res.Node)
	}
	want := "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) were unschedulable."
	if got := res.Diagnosis.Message(); got != want {
		t.Fatalf("Message = %q, want %q", got, want)
	}
	if want := NodeResourcesFitBit | NodeUnschedulableBit; res.Diagnosis.Rejectors != want {
		t.Fatalf("Rejectors = %b, want %b", res.Diagnosis.Rejectors, want)
	}
	if res.Evaluated != 3 {
		t.Fatalf("Evaluated = %d, want every node", res.Evaluated)
	}
}

func TestDiagnosisMessage(t *testing.T) {
	if got := (&Diagnosis{}).Message(); got != "no nodes available to schedule pods" {
		t.Fatalf("no nodes: %q", got)
	}
	d := &Diagnosis{NumNodes: 5}
	d.Add(NewStatus(NodeResourcesFitName, "Insufficient cpu", "Insufficient memory"))
	d.Add(NewStatus(NodeResourcesFitName, "Insufficient memory"))
	d.Add(statusNotReady)
	d.Add(statusSelector)
	want := "0/5 nodes are available: 2 Insufficient memory, 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were not ready."
	if got := d.Message(); got != want {
		t.Fatalf("Message =\n %q\nwant\n %q", got, want)
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	cases := []struct{ pct, nodes, want int }{
		{0, 50, 50},
		{0, 100, 100},
		{0, 1000, 420},
		{0, 5000, 500},
		{0, 100000, 5000},
		{0, 200, 100},
		{100, 1000, 1000},
		{10, 1000, 100},
		{50, 1000, 500},
	}
	for _, tc := range cases {
		a := NewAlgorithm(Default(), tc.pct, 1)
		if got := a.numFeasibleNodesToFind(tc.nodes); got != tc.want {
			t.Errorf("pct %d, %d nodes: %d, want %d", tc.pct, tc.nodes, got, tc.want)
		}
	}
}

func TestScheduleSamplesAndRotates(t *testing.T) {
	nodes := cluster(1000, "64", "256Gi", "110")
	a := NewAlgorithm(Default(), 0, 1)
	first := a.Schedule(podInfo("p", "100m", ""), nodes)
	if first.Evaluated != 420 || first.Feasible != 420 {
		t.Fatalf("evaluated %d, feasible %d; want 420 of 1000", first.Evaluated, first.Feasible)
	}
	if a.next != 420 {
		t.Fatalf("next start %d, want 420", a.next)
	}
	// A node late in the list that alone fits is still found.
	for _, n := range nodes[:999] {
		n.Unschedulable = true
	}
	res := a.Schedule(podInfo("p", "100m", ""), nodes)
	if res.Node != nodes[999].Name || res.Evaluated != 1000 {
		t.Fatalf("chose %q after %d nodes, want %q after all", res.Node, res.Evaluated, nodes[999].Name)
	}
}

func TestExplain(t *testing.T) {
	nodes := cluster(3, "1", "1Gi", "110")
	nodes[0].Unschedulable = true
	nodes[1].AddPod(podInfo("a", "800m", ""))
	ex := Default().Explain(podInfo("p", "500m", ""), []*NodeInfo{nodes[2], nodes[1], nodes[0]})
	if len(ex.Verdicts) != 3 || ex.Verdicts[0].Node != "n0000" || ex.Verdicts[2].Node != "n0002" {
		t.Fatalf("verdicts not sorted by node: %+v", ex.Verdicts)
	}
	if s := ex.Verdicts[0].Status; s == nil || s.Plugin != NodeUnschedulableName {
		t.Fatalf("n0000 verdict %+v, want NodeUnschedulable", s)
	}
	if s := ex.Verdicts[1].Status; s == nil || s.Message() != "Insufficient cpu" {
		t.Fatalf("n0001 verdict %+v, want Insufficient cpu", s)
	}
	if ex.Verdicts[2].Status != nil || ex.Verdicts[2].Score <= 0 || ex.Chosen != "n0002" || ex.Summary != "" {
		t.Fatalf("n0002 verdict %+v, chosen %q, summary %q", ex.Verdicts[2], ex.Chosen, ex.Summary)
	}
	none := Default().Explain(podInfo("p", "4", ""), nodes)
	if none.Chosen != "" || none.Summary != "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) were unschedulable." {
		t.Fatalf("no fit: chosen %q summary %q", none.Chosen, none.Summary)
	}
}

// BenchmarkSchedule measures the algorithm alone on 1,000 nodes: pods of
// ten owners, each placed pod accounted on its node; the cluster is
// emptied after every 10,000 pods.
func BenchmarkSchedule(b *testing.B) {
	for _, pct := range []int{0, 100} {
		b.Run(fmt.Sprintf("nodes=1000/pct=%d", pct), func(b *testing.B) {
			pods := make([]*PodInfo, 10000)
			for i := range pods {
				pods[i] = podInfo(fmt.Sprintf("p%d", i), "10m", "16Mi", ownedBy(fmt.Sprintf("rs%d", i%10)))
			}
			var nodes []*NodeInfo
			byName := map[string]*NodeInfo{}
			reset := func() {
				nodes = cluster(1000, "32", "128Gi", "110")
				for _, n := range nodes {
					byName[n.Name] = n
				}
			}
			reset()
			a := NewAlgorithm(Default(), pct, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := pods[i%len(pods)]
				byName[a.Schedule(p, nodes).Node].AddPod(p)
				if i%len(pods) == len(pods)-1 {
					b.StopTimer()
					reset()
					b.StartTimer()
				}
			}
		})
	}
}
