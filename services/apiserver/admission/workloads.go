package admission

import (
	"strconv"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/selector"
	v1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateReplicaSet(rs *gantryv1.ReplicaSet) field.ErrorList {
	spec, p := rs.GetSpec(), field.NewPath("spec")
	var replicas *int32
	if spec != nil {
		replicas = spec.Replicas
	}
	errs := validateReplicas(replicas, p)
	errs = append(errs, nonNegative(p.Child("minReadySeconds"), spec.GetMinReadySeconds())...)
	return append(errs, validateSelectorAndTemplate(spec.GetSelector(), spec.GetTemplate(), p)...)
}

func validateDeployment(d *gantryv1.Deployment) field.ErrorList {
	spec, p := d.GetSpec(), field.NewPath("spec")
	var replicas *int32
	if spec != nil {
		replicas = spec.Replicas
	}
	errs := validateReplicas(replicas, p)
	errs = append(errs, nonNegative(p.Child("minReadySeconds"), spec.GetMinReadySeconds())...)
	errs = append(errs, validateSelectorAndTemplate(spec.GetSelector(), spec.GetTemplate(), p)...)
	errs = append(errs, validateStrategy(spec.GetStrategy(), p.Child("strategy"))...)
	if spec != nil && spec.RevisionHistoryLimit != nil {
		errs = append(errs, nonNegative(p.Child("revisionHistoryLimit"), *spec.RevisionHistoryLimit)...)
	}
	if spec != nil && spec.ProgressDeadlineSeconds != nil {
		errs = append(errs, validateProgressDeadline(*spec.ProgressDeadlineSeconds, spec.GetMinReadySeconds(), p)...)
	}
	return errs
}

func validateReplicas(r *int32, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	return nonNegative(p.Child("replicas"), *r)
}

// validateProgressDeadline: a deadline no longer than minReadySeconds would
// declare every rollout stuck before a pod could count as available.
func validateProgressDeadline(deadline, minReady int32, p *field.Path) field.ErrorList {
	dp := p.Child("progressDeadlineSeconds")
	if errs := nonNegative(dp, deadline); len(errs) > 0 {
		return errs
	}
	if deadline <= minReady {
		return field.ErrorList{field.Invalid(dp, deadline, "must be greater than minReadySeconds")}
	}
	return nil
}

// validateSelectorAndTemplate checks what every pod controller shares: a
// non-empty selector, a template, and a template the selector selects,
// since otherwise the controller would create pods forever.
func validateSelectorAndTemplate(sel *gantryv1.LabelSelector, tmpl *gantryv1.PodTemplateSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	sp := p.Child("selector")
	var parsed labels.Selector
	switch {
	case sel == nil:
		errs = append(errs, field.Required(sp, ""))
	case len(sel.GetMatchLabels())+len(sel.GetMatchExpressions()) == 0:
		errs = append(errs, field.Invalid(sp, "", "empty selector is invalid for this kind: it would select every pod"))
	default:
		errs = append(errs, v1validation.ValidateLabelSelector(selector.ToMetaV1(sel), v1validation.LabelSelectorValidationOptions{}, sp)...)
		if s, err := selector.FromLabelSelector(sel); err == nil {
			parsed = s
		}
	}
	tp := p.Child("template")
	if tmpl == nil {
		return append(errs, field.Required(tp, ""))
	}
	tl := tmpl.GetMetadata().GetLabels()
	if parsed != nil && !parsed.Matches(labels.Set(tl)) {
		errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), labels.Set(tl).String(), "selector does not match template labels"))
	}
	return append(errs, validateTemplate(tmpl, tp)...)
}

// validateTemplate checks a controller's pod template. Controllers replace
// pods that exit, so their pods must restart in place (Always), and a
// deadline would kill every replica at once.
func validateTemplate(tmpl *gantryv1.PodTemplateSpec, p *field.Path) field.ErrorList {
	errs := validateTemplateMeta(tmpl.GetMetadata(), p.Child("metadata"))
	sp := p.Child("spec")
	errs = append(errs, validatePodSpec(tmpl.GetSpec(), sp)...)
	if rp := tmpl.GetSpec().GetRestartPolicy(); rp != "" && rp != "Always" {
		errs = append(errs, field.NotSupported(sp.Child("restartPolicy"), rp, []string{"Always"}))
	}
	if tmpl.GetSpec().GetActiveDeadlineSeconds() != 0 {
		errs = append(errs, field.Forbidden(sp.Child("activeDeadlineSeconds"), "activeDeadlineSeconds in a pod template is not supported"))
	}
	return errs
}

func validateStrategy(s *gantryv1.DeploymentStrategy, p *field.Path) field.ErrorList {
	errs := notSupported(p.Child("type"), s.GetType(), "Recreate", "RollingUpdate")
	ru := s.GetRollingUpdate()
	if ru == nil {
		return errs
	}
	rp := p.Child("rollingUpdate")
	if s.GetType() == "Recreate" {
		return append(errs, field.Forbidden(rp, "may not be specified when strategy `type` is 'Recreate'"))
	}
	surge, surgeErrs := intOrPercent(ru.GetMaxSurge(), rp.Child("maxSurge"))
	unavail, unavailErrs := intOrPercent(ru.GetMaxUnavailable(), rp.Child("maxUnavailable"))
	errs = append(errs, surgeErrs...)
	errs = append(errs, unavailErrs...)
	if unavail > 100 && strings.HasSuffix(ru.GetMaxUnavailable(), "%") {
		errs = append(errs, field.Invalid(rp.Child("maxUnavailable"), ru.GetMaxUnavailable(), "must not be greater than 100%"))
	}
	// With both zero a rollout could neither add nor remove a pod.
	if len(surgeErrs)+len(unavailErrs) == 0 && surge == 0 && unavail == 0 {
		errs = append(errs, field.Invalid(rp.Child("maxUnavailable"), ru.GetMaxUnavailable(), "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

// intOrPercent checks a non-negative integer or percentage and returns its
// number (25 for "25%"). Empty means the default, 25%.
func intOrPercent(s string, p *field.Path) (int, field.ErrorList) {
	if s == "" {
		return 25, nil
	}
	v := parseIntOrString(s)
	if v.Type == intstr.Int {
		return int(v.IntVal), nonNegative(p, v.IntVal)
	}
	if msgs := validation.IsValidPercent(s); len(msgs) > 0 {
		return 0, invalid(p, s, msgs)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil {
		return 0, field.ErrorList{field.Invalid(p, s, "percentage is out of range")}
	}
	return n, nil
}
