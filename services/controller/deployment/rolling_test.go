package deployment

import (
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/gantryio/gantry/internal/deployutil"
)

func TestRollingUpdateStaysWithinBounds(t *testing.T) {
	cases := []struct {
		replicas                   int32
		maxSurge, maxUnavailable   string
		wantSurge, wantUnavailable int32
		minReady                   int32
	}{
		{3, "1", "0", 1, 0, 0},
		{3, "0", "1", 0, 1, 0},
		{10, "25%", "25%", 3, 2, 0},
		{10, "30%", "0", 3, 0, 0},
		{5, "0", "40%", 0, 2, 0},
		{1, "0", "0", 0, 1, 0},
		{7, "50%", "50%", 4, 3, 0},
		{4, "2", "3", 2, 3, 0},
		{20, "10%", "5%", 2, 1, 0},
		{6, "1", "1", 1, 1, 3},
		{5, "0", "1", 0, 1, 2},
	}
	for _, tc := range cases {
		for _, lag := range []string{"one step", "uneven", "stale caches"} {
			name := fmt.Sprintf("replicas=%d,surge=%s,unavailable=%s,minReady=%d,%s", tc.replicas, tc.maxSurge, tc.maxUnavailable, tc.minReady, lag)
			t.Run(name, func(t *testing.T) {
				w := newWorld(t)
				w.stale = lag == "stale caches"
				if lag == "uneven" {
					w.readyAfter = func(pod string) int {
						h := fnv.New32a()
						h.Write([]byte(pod))
						return 1 + int(h.Sum32()%4)
					}
				}
				d := newDeployment("web", tc.replicas, "v1")
				ru := d.GetDeployment().Spec.Strategy.RollingUpdate
				ru.MaxSurge, ru.MaxUnavailable = tc.maxSurge, tc.maxUnavailable
				d.GetDeployment().Spec.MinReadySeconds = tc.minReady
				w.minReady = tc.minReady
				w.w.Seed(d)
				w.runUntilComplete("web", 50)
				if s, u := MaxSurge(w.deployment("web")), MaxUnavailable(w.deployment("web")); s != tc.wantSurge || u != tc.wantUnavailable {
					t.Fatalf("fenceposts surge %d unavailable %d, want %d and %d", s, u, tc.wantSurge, tc.wantUnavailable)
				}
				maxPods := tc.replicas + tc.wantSurge
				minAvail := tc.replicas - tc.wantUnavailable
				sawSurge, sawUnavailable := false, false
				w.check = func(stage string) {
					active, avail := w.counts()
					if active > maxPods {
						t.Fatalf("after %s: %d pods, more than replicas+maxSurge = %d; %s", stage, active, maxPods, rsSummary(w.rsList()))
					}
					if avail < minAvail {
						t.Fatalf("after %s: %d available, fewer than replicas-maxUnavailable = %d; %s", stage, avail, minAvail, rsSummary(w.rsList()))
					}
					sawSurge = sawSurge || active > tc.replicas
					sawUnavailable = sawUnavailable || avail < tc.replicas
				}
				for i, image := range []string{"v2", "v3"} {
					w.setImage("web", image)
					steps := w.runUntilComplete("web", 100)
					t.Logf("rollout %d took %d steps", i+1, steps)
				}
				// The bounds were used, not just respected.
				if tc.wantSurge > 0 && !sawSurge {
					t.Error("the rollout never used its surge")
				}
				if tc.wantSurge == 0 && !sawUnavailable {
					t.Error("the rollout never went below replicas although it has no surge")
				}
				rs := w.rsList()
				if len(rs) != 3 || deployutil.Revision(rs[2].GetMetadata()) != 3 || rs[2].GetSpec().GetReplicas() != tc.replicas {
					t.Fatalf("ReplicaSets %s, want three revisions with the last at %d", rsSummary(rs), tc.replicas)
				}
				st := w.deployment("web").GetStatus()
				if st.GetReplicas() != tc.replicas || st.GetUpdatedReplicas() != tc.replicas || st.GetAvailableReplicas() != tc.replicas ||
					st.GetReadyReplicas() != tc.replicas || st.GetUnavailableReplicas() != 0 {
					t.Fatalf("final status %v", st)
				}
				if c := deployutil.Condition(st.GetConditions(), deployutil.CondAvailable); c.GetStatus() != "True" {
					t.Fatalf("Available condition %v", c)
				}
			})
		}
	}
}
