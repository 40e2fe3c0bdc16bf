package admission

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateNamespace(ns *gantryv1.Namespace) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec", "finalizers")
	for i, f := range ns.GetSpec().GetFinalizers() {
		errs = append(errs, invalid(p.Index(i), f, validation.IsQualifiedName(f))...)
	}
	return errs
}

func validateNode(n *gantryv1.Node) field.ErrorList {
	spec, p := n.GetSpec(), field.NewPath("spec")
	var errs field.ErrorList
	if c := spec.GetPodCidr(); c != "" {
		errs = append(errs, validation.IsValidCIDR(p.Child("podCIDR"), c)...)
	}
	for i, c := range spec.GetPodCidrs() {
		errs = append(errs, validation.IsValidCIDR(p.Child("podCIDRs").Index(i), c)...)
	}
	// podCIDRs[0] is by definition the primary range, podCIDR.
	if cs := spec.GetPodCidrs(); len(cs) > 0 && spec.GetPodCidr() != "" && cs[0] != spec.GetPodCidr() {
		errs = append(errs, field.Invalid(p.Child("podCIDRs").Index(0), cs[0], "must match podCIDR"))
	}
	return append(errs, validateTaints(spec.GetTaints(), p.Child("taints"))...)
}

// validateTaints: unlike a toleration, a taint always has a key and an
// effect, and one key may carry each effect only once.
func validateTaints(taints []*gantryv1.Taint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, t := range taints {
		ip := p.Index(i)
		if t.GetKey() == "" {
			errs = append(errs, field.Required(ip.Child("key"), ""))
		} else {
			errs = append(errs, invalid(ip.Child("key"), t.GetKey(), validation.IsQualifiedName(t.GetKey()))...)
		}
		errs = append(errs, invalid(ip.Child("value"), t.GetValue(), validation.IsValidLabelValue(t.GetValue()))...)
		if t.GetEffect() == "" {
			errs = append(errs, field.Required(ip.Child("effect"), ""))
		} else {
			errs = append(errs, validateEffect(ip.Child("effect"), t.GetEffect())...)
		}
		key := t.GetKey() + ":" + t.GetEffect()
		if seen[key] {
			errs = append(errs, field.Duplicate(ip, "taints must be unique by key and effect pair"))
		}
		seen[key] = true
	}
	return errs
}

func validateLease(l *gantryv1.Lease) field.ErrorList {
	spec, p := l.GetSpec(), field.NewPath("spec")
	errs := nonNegative(p.Child("leaseDurationSeconds"), spec.GetLeaseDurationSeconds())
	return append(errs, nonNegative(p.Child("leaseTransitions"), spec.GetLeaseTransitions())...)
}

// validateEvent mirrors Kubernetes' core/v1 event rules: an event must say
// what it is about, and lives in the namespace of that object.
func validateEvent(e *gantryv1.Event) field.ErrorList {
	p := field.NewPath("involvedObject")
	ref := e.GetInvolvedObject()
	var errs field.ErrorList
	if ref.GetKind() == "" {
		errs = append(errs, field.Required(p.Child("kind"), ""))
	}
	if ref.GetName() == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	ns := e.GetMetadata().GetNamespace()
	if rn := ref.GetNamespace(); rn != "" && rn != ns {
		errs = append(errs, field.Invalid(p.Child("namespace"), rn, "does not match event.namespace"))
	}
	errs = append(errs, notSupported(field.NewPath("type"), e.GetType(), "Normal", "Warning")...)
	return append(errs, nonNegative(field.NewPath("count"), e.GetCount())...)
}
