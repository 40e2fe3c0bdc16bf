package admission

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	v1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// nameFunc returns the rule Kubernetes applies to names of kind: services
// become DNS names (RFC 1035), namespaces become label-like path segments,
// and everything else only needs to be a DNS subdomain.
func nameFunc(kind string) apivalidation.ValidateNameFunc {
	switch kind {
	case apimeta.KindNamespace:
		return apivalidation.ValidateNamespaceName
	case apimeta.KindService:
		return apivalidation.NameIsDNS1035Label
	}
	return apivalidation.NameIsDNSSubdomain
}

// validateMeta checks metadata on create. It composes apimachinery's
// object-meta rules itself because ValidateObjectMeta expects names to be
// generated already, while Gantry validates before generating them.
func validateMeta(info *apimeta.Info, m *gantryv1.ObjectMeta) field.ErrorList {
	p := field.NewPath("metadata")
	errs := validateName(nameFunc(info.Name), m, p)
	errs = append(errs, validateNamespaceField(info.Namespaced, m.GetNamespace(), p.Child("namespace"))...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(m.GetGeneration(), p.Child("generation"))...)
	errs = append(errs, v1validation.ValidateLabels(m.GetLabels(), p.Child("labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(m.GetAnnotations(), p.Child("annotations"))...)
	errs = append(errs, apivalidation.ValidateOwnerReferences(ownerRefs(m), p.Child("ownerReferences"))...)
	errs = append(errs, apivalidation.ValidateFinalizers(m.GetFinalizers(), p.Child("finalizers"))...)
	return errs
}

func validateName(nameFn apivalidation.ValidateNameFunc, m *gantryv1.ObjectMeta, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if g := m.GetGenerateName(); g != "" {
		errs = append(errs, invalid(p.Child("generateName"), g, nameFn(g, true))...)
	}
	switch name := m.GetName(); {
	case name != "":
		errs = append(errs, invalid(p.Child("name"), name, nameFn(name, false))...)
	case m.GetGenerateName() == "":
		errs = append(errs, field.Required(p.Child("name"), "name or generateName is required"))
	}
	return errs
}

// validateNamespaceField checks the namespace an object lives in. The
// server fills "default" before calling, so an empty namespace on a
// namespaced kind is a caller bug worth reporting.
func validateNamespaceField(namespaced bool, ns string, p *field.Path) field.ErrorList {
	switch {
	case !namespaced && ns != "":
		return field.ErrorList{field.Forbidden(p, "not allowed on this type")}
	case namespaced && ns == "":
		return field.ErrorList{field.Required(p, "")}
	case namespaced:
		return invalid(p, ns, apivalidation.ValidateNamespaceName(ns, false))
	}
	return nil
}

func ownerRefs(m *gantryv1.ObjectMeta) []metav1.OwnerReference {
	var out []metav1.OwnerReference
	for _, r := range m.GetOwnerReferences() {
		ref := metav1.OwnerReference{
			APIVersion: r.GetApiVersion(),
			Kind:       r.GetKind(),
			Name:       r.GetName(),
			UID:        types.UID(r.GetUid()),
		}
		if r != nil {
			ref.Controller, ref.BlockOwnerDeletion = r.Controller, r.BlockOwnerDeletion
		}
		out = append(out, ref)
	}
	return out
}

// validateTemplateMeta checks a pod template's metadata: only labels and
// annotations mean anything there, as in Kubernetes.
func validateTemplateMeta(m *gantryv1.ObjectMeta, p *field.Path) field.ErrorList {
	errs := v1validation.ValidateLabels(m.GetLabels(), p.Child("labels"))
	return append(errs, apivalidation.ValidateAnnotations(m.GetAnnotations(), p.Child("annotations"))...)
}
