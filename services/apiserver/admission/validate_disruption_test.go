package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
)

func validPDB() *gantryv1.PodDisruptionBudget {
	return &gantryv1.PodDisruptionBudget{Metadata: meta("web"), Spec: &gantryv1.PodDisruptionBudgetSpec{
		MinAvailable: proto.String("2"),
		Selector:     &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
	}}
}

func TestValidatePodDisruptionBudget(t *testing.T) {
	spec := func(mut func(*gantryv1.PodDisruptionBudgetSpec)) func(*gantryv1.PodDisruptionBudget) {
		return func(p *gantryv1.PodDisruptionBudget) { mut(p.Spec) }
	}
	runValidate(t, []wantCase{
		mk("valid minAvailable", validPDB, nil, "", ""),
		mk("valid maxUnavailable percent", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) {
			s.MinAvailable, s.MaxUnavailable = nil, proto.String("25%")
		}), "", ""),
		mk("valid AlwaysAllow", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) {
			s.UnhealthyPodEvictionPolicy = proto.String("AlwaysAllow")
		}), "", ""),
		mk("no spec", validPDB, func(p *gantryv1.PodDisruptionBudget) { p.Spec = nil }, "spec", "Required value"),
		mk("both bounds", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) { s.MaxUnavailable = proto.String("1") }),
			"spec", "minAvailable and maxUnavailable cannot be both set"),
		mk("neither bound", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) { s.MinAvailable = nil }),
			"spec.minAvailable", "one of minAvailable and maxUnavailable is required"),
		mk("negative", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) { s.MinAvailable = proto.String("-1") }),
			"spec.minAvailable", "must be greater than or equal to 0"),
		mk("not a number", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) { s.MinAvailable = proto.String("two") }),
			"spec.minAvailable", ""),
		mk("empty", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) { s.MinAvailable = proto.String("") }),
			"spec.minAvailable", "must be an integer or a percentage"),
		mk("over 100%", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) {
			s.MinAvailable, s.MaxUnavailable = nil, proto.String("150%")
		}), "spec.maxUnavailable", "must not be greater than 100%"),
		mk("no selector", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) { s.Selector = nil }), "spec.selector", "Required value"),
		mk("bad selector", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) {
			s.Selector = &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}
		}), "spec.selector.matchExpressions[0].operator", ""),
		mk("bad policy", validPDB, spec(func(s *gantryv1.PodDisruptionBudgetSpec) {
			s.UnhealthyPodEvictionPolicy = proto.String("Sometimes")
		}), "spec.unhealthyPodEvictionPolicy", "Unsupported value"),
	})
}
