package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/taints"
)

func TestDefaultPodTolerations(t *testing.T) {
	forever := &gantryv1.Toleration{Key: taints.KubernetesUnreachable, Operator: "Exists", Effect: "NoExecute"}
	for _, c := range []struct {
		name string
		tols []*gantryv1.Toleration
		d    TolerationDefaults
		// want maps each lifecycle taint key to the seconds of the added
		// toleration (-1: none added).
		want map[string]int64
	}{
		{"none: both added", nil, DefaultTolerations(), map[string]int64{taints.NotReady: 300, taints.Unreachable: 300}},
		{"custom seconds", nil, TolerationDefaults{NotReadySeconds: 5, UnreachableSeconds: 7}, map[string]int64{taints.NotReady: 5, taints.Unreachable: 7}},
		{"negative adds none", nil, TolerationDefaults{NotReadySeconds: -1, UnreachableSeconds: 0}, map[string]int64{taints.NotReady: -1, taints.Unreachable: 0}},
		{"own unreachable (Kubernetes key) kept", []*gantryv1.Toleration{forever}, DefaultTolerations(), map[string]int64{taints.NotReady: 300, taints.Unreachable: -1}},
		{"tolerates everything", []*gantryv1.Toleration{{Operator: "Exists"}}, DefaultTolerations(), map[string]int64{taints.NotReady: -1, taints.Unreachable: -1}},
	} {
		pod := &gantryv1.Pod{Spec: &gantryv1.PodSpec{Tolerations: c.tols}}
		DefaultPodTolerations(&gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: pod}}, c.d)
		added := map[string]int64{taints.NotReady: -1, taints.Unreachable: -1}
		for _, tol := range pod.Spec.Tolerations[len(c.tols):] {
			if tol.GetOperator() != "Exists" || tol.GetEffect() != "NoExecute" || tol.TolerationSeconds == nil {
				t.Errorf("%s: added toleration %v", c.name, tol)
			}
			added[tol.GetKey()] = tol.GetTolerationSeconds()
		}
		for k, v := range c.want {
			if added[k] != v {
				t.Errorf("%s: %s toleration seconds = %d, want %d", c.name, k, added[k], v)
			}
		}
		if len(pod.Spec.Tolerations) > len(c.tols)+2 {
			t.Errorf("%s: %d tolerations", c.name, len(pod.Spec.Tolerations))
		}
	}
	// Not pods, and pods without a spec: nothing happens.
	DefaultPodTolerations(&gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: &gantryv1.Pod{}}}, DefaultTolerations())
	rs := &gantryv1.ReplicaSet{Spec: &gantryv1.ReplicaSetSpec{Template: &gantryv1.PodTemplateSpec{Spec: &gantryv1.PodSpec{}}}}
	DefaultPodTolerations(&gantryv1.Object{Kind: &gantryv1.Object_ReplicaSet{ReplicaSet: rs}}, DefaultTolerations())
	if len(rs.Spec.Template.Spec.Tolerations) != 0 {
		t.Error("a template got tolerations")
	}
}
