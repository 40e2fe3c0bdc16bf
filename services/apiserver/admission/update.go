package admission

import (
	"slices"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
	"google.golang.org/protobuf/proto"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateUpdate checks newObj as Validate does and then the rules about
// what may change from old. The error wraps ErrInvalid when newObj breaks
// any rule of its own, and ErrImmutable when the only problem is a change
// to a field that may not change; either way the message lists every
// violation. uid and creationTimestamp are not checked: the server carries
// them over from old itself. Run Default on newObj first, as for a create:
// old was stored defaulted, so an undefaulted pod spec would compare as
// changed.
func ValidateUpdate(newObj, old *gantryv1.Object) error {
	errs := validate(newObj)
	if newKind, oldKind := apimeta.KindOf(newObj), apimeta.KindOf(old); oldKind != "" && newKind != oldKind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), newKind, "may not change from "+oldKind))
		return toError(ErrInvalid, errs)
	}
	if apimeta.InfoOf(old) == nil {
		return toError(ErrInvalid, errs)
	}
	immutable := validateMetaUpdate(apimeta.Meta(newObj), apimeta.Meta(old))
	immutable = append(immutable, validateBodyUpdate(newObj, old)...)
	if len(errs) > 0 {
		return toError(ErrInvalid, append(errs, immutable...))
	}
	return toError(ErrImmutable, immutable)
}

// validateMetaUpdate: name and namespace are the object's identity; and
// once deletion started, only the finalizers already there may run.
func validateMetaUpdate(n, o *gantryv1.ObjectMeta) field.ErrorList {
	p := field.NewPath("metadata")
	errs := immutableString(p.Child("name"), n.GetName(), o.GetName())
	errs = append(errs, immutableString(p.Child("namespace"), n.GetNamespace(), o.GetNamespace())...)
	if o.GetDeletionTimestamp() != nil {
		errs = append(errs, apivalidation.ValidateNoNewFinalizers(n.GetFinalizers(), o.GetFinalizers(), p.Child("finalizers"))...)
	}
	return errs
}

func immutableString(p *field.Path, n, o string) field.ErrorList {
	if n != o {
		return field.ErrorList{field.Invalid(p, n, apivalidation.FieldImmutableErrorMsg)}
	}
	return nil
}

// validateBodyUpdate runs the kind's immutability rules; kinds match.
func validateBodyUpdate(n, o *gantryv1.Object) field.ErrorList {
	switch k := n.GetKind().(type) {
	case *gantryv1.Object_Pod:
		return validatePodUpdate(k.Pod.GetSpec(), o.GetPod().GetSpec())
	case *gantryv1.Object_ReplicaSet:
		return immutableSelector(k.ReplicaSet.GetSpec().GetSelector(), o.GetReplicaSet().GetSpec().GetSelector())
	case *gantryv1.Object_Deployment:
		return immutableSelector(k.Deployment.GetSpec().GetSelector(), o.GetDeployment().GetSpec().GetSelector())
	case *gantryv1.Object_Service:
		return validateServiceUpdate(k.Service.GetSpec(), o.GetService().GetSpec())
	case *gantryv1.Object_ConfigMap:
		return validateConfigMapUpdate(k.ConfigMap, o.GetConfigMap())
	case *gantryv1.Object_Secret:
		return validateSecretUpdate(k.Secret, o.GetSecret())
	case *gantryv1.Object_Node:
		return validateNodeUpdate(k.Node.GetSpec(), o.GetNode().GetSpec())
	case *gantryv1.Object_EndpointSlice:
		return immutableString(field.NewPath("addressType"), k.EndpointSlice.GetAddressType(), o.GetEndpointSlice().GetAddressType())
	}
	return nil
}

// immutableSelector: changing a controller's selector would orphan the
// pods it owns and adopt others.
func immutableSelector(n, o *gantryv1.LabelSelector) field.ErrorList {
	if proto.Equal(n, o) {
		return nil
	}
	p := field.NewPath("spec", "selector")
	return field.ErrorList{field.Invalid(p, metav1.FormatLabelSelector(selector.ToMetaV1(n)), apivalidation.FieldImmutableErrorMsg)}
}

func validateServiceUpdate(n, o *gantryv1.ServiceSpec) field.ErrorList {
	if o.GetClusterIp() == "" {
		return nil
	}
	return immutableString(field.NewPath("spec", "clusterIP"), n.GetClusterIp(), o.GetClusterIp())
}

// validateNodeUpdate: pod CIDRs are handed out once; pods already have
// addresses from them.
func validateNodeUpdate(n, o *gantryv1.NodeSpec) field.ErrorList {
	p := field.NewPath("spec")
	var errs field.ErrorList
	if o.GetPodCidr() != "" && n.GetPodCidr() != o.GetPodCidr() {
		errs = append(errs, field.Forbidden(p.Child("podCIDR"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	if len(o.GetPodCidrs()) > 0 && !slices.Equal(n.GetPodCidrs(), o.GetPodCidrs()) {
		errs = append(errs, field.Forbidden(p.Child("podCIDRs"), "node updates may not change podCIDRs except from \"\" to valid"))
	}
	return errs
}
