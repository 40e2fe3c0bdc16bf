package admission

import (
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/selector"
	v1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validatePodDisruptionBudget: exactly one of minAvailable and
// maxUnavailable, each a non-negative integer or a percentage up to 100%,
// a selector, and a known unhealthyPodEvictionPolicy (policy/v1).
func validatePodDisruptionBudget(pdb *gantryv1.PodDisruptionBudget) field.ErrorList {
	p := field.NewPath("spec")
	spec := pdb.GetSpec()
	var errs field.ErrorList
	if spec == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	switch {
	case spec.MinAvailable != nil && spec.MaxUnavailable != nil:
		errs = append(errs, field.Invalid(p, "", "minAvailable and maxUnavailable cannot be both set"))
	case spec.MinAvailable == nil && spec.MaxUnavailable == nil:
		errs = append(errs, field.Required(p.Child("minAvailable"), "one of minAvailable and maxUnavailable is required"))
	}
	if spec.MinAvailable != nil {
		errs = append(errs, budgetValue(spec.GetMinAvailable(), p.Child("minAvailable"))...)
	}
	if spec.MaxUnavailable != nil {
		errs = append(errs, budgetValue(spec.GetMaxUnavailable(), p.Child("maxUnavailable"))...)
	}
	sp := p.Child("selector")
	if sel := spec.GetSelector(); sel == nil {
		errs = append(errs, field.Required(sp, ""))
	} else {
		errs = append(errs, v1validation.ValidateLabelSelector(selector.ToMetaV1(sel), v1validation.LabelSelectorValidationOptions{}, sp)...)
	}
	if spec.UnhealthyPodEvictionPolicy != nil {
		errs = append(errs, notSupported(p.Child("unhealthyPodEvictionPolicy"), spec.GetUnhealthyPodEvictionPolicy(), "IfHealthyBudget", "AlwaysAllow")...)
	}
	return errs
}

// budgetValue checks one bound: an integer or percentage, never above 100%.
func budgetValue(s string, p *field.Path) field.ErrorList {
	if s == "" {
		return field.ErrorList{field.Invalid(p, s, "must be an integer or a percentage such as \"50%\"")}
	}
	n, errs := intOrPercent(s, p)
	if len(errs) == 0 && strings.HasSuffix(s, "%") && n > 100 {
		errs = append(errs, field.Invalid(p, s, "must not be greater than 100%"))
	}
	return errs
}
