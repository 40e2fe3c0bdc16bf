package framework

import (
	"slices"
	"testing"
)

func TestLeastAllocated(t *testing.T) {
	empty := node("empty", "4", "4Gi", "110")
	half := node("half", "4", "4Gi", "110")
	half.AddPod(podInfo("a", "2", "2Gi"))
	cases := []struct {
		name string
		pod  *PodInfo
		node *NodeInfo
		want int64
	}{
		{"empty node, 1 of 4 cpu and 1 of 4 GiB", podInfo("p", "1", "1Gi"), empty, 75},
		{"half used node", podInfo("p", "1", "1Gi"), half, 25},
		{"best effort pod uses defaults", podInfo("p", "", ""), empty, ((4000-100)*100/4000 + (4096-200)*100/4096) / 2},
		{"over capacity scores 0", podInfo("p", "8", "8Gi"), empty, 0},
		{"no allocatable scores 0", podInfo("p", "1", "1Gi"), node("zero", "0", "0", "110"), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (LeastAllocated{}).Score(tc.pod, tc.node); got != tc.want {
				t.Fatalf("Score = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestOwnerSpread(t *testing.T) {
	nodes := cluster(3, "4", "4Gi", "110")
	nodes[0].AddPod(podInfo("a", "", "", ownedBy("rs1")))
	nodes[0].AddPod(podInfo("b", "", "", ownedBy("rs1")))
	nodes[1].AddPod(podInfo("c", "", "", ownedBy("rs1")))
	nodes[2].AddPod(podInfo("d", "", "", ownedBy("other")))
	score := func(p *PodInfo) []int64 {
		out := make([]int64, len(nodes))
		for i, n := range nodes {
			out[i] = OwnerSpread{}.Score(p, n)
		}
		OwnerSpread{}.Normalize(p, out)
		return out
	}
	if got, want := score(podInfo("p", "", "", ownedBy("rs1"))), []int64{0, 50, 100}; !slices.Equal(got, want) {
		t.Fatalf("rs1 pod scores %v, want %v", got, want)
	}
	if got, want := score(podInfo("p", "", "", ownedBy("new"))), []int64{100, 100, 100}; !slices.Equal(got, want) {
		t.Fatalf("new owner scores %v, want %v", got, want)
	}
	if got, want := score(podInfo("p", "", "")), []int64{100, 100, 100}; !slices.Equal(got, want) {
		t.Fatalf("unowned pod scores %v, want %v", got, want)
	}
}
