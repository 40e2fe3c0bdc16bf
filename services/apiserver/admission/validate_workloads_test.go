package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestValidateReplicaSet(t *testing.T) {
	rs := func(mut func(*gantryv1.ReplicaSetSpec)) func(*gantryv1.ReplicaSet) {
		return func(r *gantryv1.ReplicaSet) { mut(r.Spec) }
	}
	runValidate(t, []wantCase{
		mk("valid", validReplicaSet, nil, "", ""),
		mk("zero replicas", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Replicas = i32(0) }), "", ""),
		mk("unset replicas", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Replicas = nil }), "", ""),
		mk("negative replicas", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Replicas = i32(-1) }),
			"spec.replicas", "must be greater than or equal to 0"),
		mk("negative minReadySeconds", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.MinReadySeconds = -5 }),
			"spec.minReadySeconds", "must be greater than or equal to 0"),
		mk("nil spec", validReplicaSet, func(r *gantryv1.ReplicaSet) { r.Spec = nil }, "spec.selector", "Required value"),
		mk("no selector", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Selector = nil }), "spec.selector", "Required value"),
		mk("empty selector", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Selector = &gantryv1.LabelSelector{} }),
			"spec.selector", "empty selector is invalid"),
		mk("expression selector", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) {
			s.Selector = &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{
				{Key: "tier", Operator: "In", Values: []string{"front", "back"}}, {Key: "old", Operator: "DoesNotExist"}}}
		}), "", ""),
		mk("selector bad operator", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) {
			s.Selector = &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{{Key: "tier", Operator: "Like"}}}
		}), "spec.selector.matchExpressions[0].operator", "not a valid selector operator"),
		mk("selector In without values", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) {
			s.Selector = &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{{Key: "tier", Operator: "In"}}}
		}), "spec.selector.matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"),
		mk("selector bad label", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) {
			s.Selector = &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "a b"}}
		}), "spec.selector.matchLabels", `"a b"`),
		mk("selector does not match template", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) {
			s.Selector.MatchLabels = map[string]string{"app": "db"}
		}), "spec.template.metadata.labels", "selector does not match template labels"),
		mk("no template", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Template = nil }), "spec.template", "Required value"),
		mk("template label bad", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Template.Metadata.Labels["x"] = "-bad-" }),
			"spec.template.metadata.labels", `"-bad-"`),
		mk("template pod spec validated", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Template.Spec.Containers[0].Name = "Web" }),
			"spec.template.spec.containers[0].name", "RFC 1123 label"),
		mk("template restartPolicy Never", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Template.Spec.RestartPolicy = "Never" }),
			"spec.template.spec.restartPolicy", `Unsupported value: "Never": supported values: "Always"`),
		mk("template restartPolicy Always", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Template.Spec.RestartPolicy = "Always" }), "", ""),
		mk("template activeDeadlineSeconds", validReplicaSet, rs(func(s *gantryv1.ReplicaSetSpec) { s.Template.Spec.ActiveDeadlineSeconds = i64(5) }),
			"spec.template.spec.activeDeadlineSeconds", "not supported"),
	})
}

func TestValidateDeployment(t *testing.T) {
	dep := func(mut func(*gantryv1.DeploymentSpec)) func(*gantryv1.Deployment) {
		return func(d *gantryv1.Deployment) { mut(d.Spec) }
	}
	ru := func(surge, unavail string) func(*gantryv1.Deployment) {
		return dep(func(s *gantryv1.DeploymentSpec) {
			s.Strategy.RollingUpdate = &gantryv1.RollingUpdateDeployment{MaxSurge: surge, MaxUnavailable: unavail}
		})
	}
	runValidate(t, []wantCase{
		mk("valid", validDeployment, nil, "", ""),
		mk("nil spec", validDeployment, func(d *gantryv1.Deployment) { d.Spec = nil }, "spec.template", "Required value"),
		mk("negative replicas", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.Replicas = i32(-2) }),
			"spec.replicas", "must be greater than or equal to 0"),
		mk("selector mismatch", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.Template.Metadata.Labels = nil }),
			"spec.template.metadata.labels", "selector does not match template labels"),
		mk("empty selector", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.Selector = &gantryv1.LabelSelector{} }),
			"spec.selector", "empty selector is invalid"),
		mk("template restartPolicy OnFailure", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.Template.Spec.RestartPolicy = "OnFailure" }),
			"spec.template.spec.restartPolicy", "Unsupported value"),
		mk("recreate", validDeployment, dep(func(s *gantryv1.DeploymentSpec) {
			s.Strategy = &gantryv1.DeploymentStrategy{Type: "Recreate"}
		}), "", ""),
		mk("unset strategy", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.Strategy = nil }), "", ""),
		mk("bad strategy type", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.Strategy.Type = "BlueGreen" }),
			"spec.strategy.type", `Unsupported value: "BlueGreen"`),
		mk("recreate with rollingUpdate", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.Strategy.Type = "Recreate" }),
			"spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"),
		mk("surge 0 unavailable 1", validDeployment, ru("0", "1"), "", ""),
		mk("surge 0% unavailable 100%", validDeployment, ru("0%", "100%"), "", ""),
		mk("surge 200%", validDeployment, ru("200%", "0"), "", ""),
		mk("both zero", validDeployment, ru("0", "0%"),
			"spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"),
		mk("negative surge", validDeployment, ru("-1", "1"),
			"spec.strategy.rollingUpdate.maxSurge", "must be greater than or equal to 0"),
		mk("bad percent", validDeployment, ru("25", "ten%"),
			"spec.strategy.rollingUpdate.maxUnavailable", "a valid percent string"),
		mk("unavailable over 100%", validDeployment, ru("1", "101%"),
			"spec.strategy.rollingUpdate.maxUnavailable", "must not be greater than 100%"),
		mk("revisionHistoryLimit 0", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.RevisionHistoryLimit = i32(0) }), "", ""),
		mk("negative revisionHistoryLimit", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.RevisionHistoryLimit = i32(-1) }),
			"spec.revisionHistoryLimit", "must be greater than or equal to 0"),
		mk("progress deadline", validDeployment, dep(func(s *gantryv1.DeploymentSpec) {
			s.ProgressDeadlineSeconds, s.MinReadySeconds = i32(60), 10
		}), "", ""),
		mk("progress deadline not above minReady", validDeployment, dep(func(s *gantryv1.DeploymentSpec) {
			s.ProgressDeadlineSeconds, s.MinReadySeconds = i32(10), 10
		}), "spec.progressDeadlineSeconds", "must be greater than minReadySeconds"),
		mk("negative minReadySeconds", validDeployment, dep(func(s *gantryv1.DeploymentSpec) { s.MinReadySeconds = -1 }),
			"spec.minReadySeconds", "must be greater than or equal to 0"),
	})
}
