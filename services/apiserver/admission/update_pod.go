package admission

import (
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podSpecUpdateMsg is Kubernetes' wording, trimmed to the fields Gantry has.
const podSpecUpdateMsg = "pod updates may not change fields other than `spec.containers[*].image`, " +
	"`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) " +
	"and `spec.nodeName` (only from \"\" when binding)"

// validatePodUpdate enforces that a running pod's spec is fixed: the node
// agent has already acted on it. Only images, the deadline, added
// tolerations and the first binding to a node may change.
func validatePodUpdate(n, o *gantryv1.PodSpec) field.ErrorList {
	p := field.NewPath("spec")
	var errs field.ErrorList
	if o.GetNodeName() != "" && n.GetNodeName() != o.GetNodeName() {
		errs = append(errs, field.Invalid(p.Child("nodeName"), n.GetNodeName(),
			fmt.Sprintf("may not change once set: the pod is already bound to node %q", o.GetNodeName())))
	}
	errs = append(errs, validateDeadlineUpdate(n, o, p.Child("activeDeadlineSeconds"))...)
	errs = append(errs, validateTolerationsUpdate(n.GetTolerations(), o.GetTolerations(), p.Child("tolerations"))...)
	if !proto.Equal(withoutMutable(n), withoutMutable(o)) {
		errs = append(errs, field.Forbidden(p, podSpecUpdateMsg))
	}
	return errs
}

// validateDeadlineUpdate: a deadline may be added or shortened, never
// removed or extended, so a pod cannot outlive a deadline it was given.
func validateDeadlineUpdate(n, o *gantryv1.PodSpec, p *field.Path) field.ErrorList {
	if o == nil || o.ActiveDeadlineSeconds == nil {
		return nil
	}
	if n == nil || n.ActiveDeadlineSeconds == nil {
		return field.ErrorList{field.Invalid(p, "", "must not be removed once set")}
	}
	if *n.ActiveDeadlineSeconds > *o.ActiveDeadlineSeconds {
		return field.ErrorList{field.Invalid(p, *n.ActiveDeadlineSeconds, "must be less than or equal to previous value")}
	}
	return nil
}

// validateTolerationsUpdate: removing a toleration could strand a pod on a
// node whose taints it no longer tolerates, so only additions are allowed.
func validateTolerationsUpdate(n, o []*gantryv1.Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, ot := range o {
		if !containsToleration(n, ot) {
			errs = append(errs, field.Forbidden(p.Index(i), "existing tolerations may not be removed or changed; only additions are allowed"))
		}
	}
	return errs
}

func containsToleration(ts []*gantryv1.Toleration, t *gantryv1.Toleration) bool {
	for _, c := range ts {
		if proto.Equal(c, t) {
			return true
		}
	}
	return false
}

// withoutMutable returns a copy of spec with the fields that may change
// cleared, so the rest can be compared in one proto.Equal.
func withoutMutable(spec *gantryv1.PodSpec) *gantryv1.PodSpec {
	c, _ := proto.Clone(spec).(*gantryv1.PodSpec)
	if c == nil {
		return nil
	}
	for _, ctr := range c.GetContainers() {
		if ctr != nil {
			ctr.Image = ""
		}
	}
	c.ActiveDeadlineSeconds = nil
	c.Tolerations = nil
	c.NodeName = ""
	return c
}
