package admission

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks an object about to be created. It returns nil, or an
// error wrapping ErrInvalid whose message lists every violation with its
// field path.
func Validate(o *gantryv1.Object) error {
	return toError(ErrInvalid, validate(o))
}

func validate(o *gantryv1.Object) field.ErrorList {
	info := apimeta.InfoOf(o)
	if info == nil {
		return field.ErrorList{field.Required(field.NewPath("kind"), "the object envelope holds no kind")}
	}
	errs := validateMeta(info, apimeta.Meta(o))
	return append(errs, validateBody(o)...)
}

// validateBody runs the kind's own rules.
func validateBody(o *gantryv1.Object) field.ErrorList {
	switch k := o.GetKind().(type) {
	case *gantryv1.Object_Namespace:
		return validateNamespace(k.Namespace)
	case *gantryv1.Object_Node:
		return validateNode(k.Node)
	case *gantryv1.Object_Pod:
		return validatePod(k.Pod)
	case *gantryv1.Object_ReplicaSet:
		return validateReplicaSet(k.ReplicaSet)
	case *gantryv1.Object_Deployment:
		return validateDeployment(k.Deployment)
	case *gantryv1.Object_Service:
		return validateService(k.Service)
	case *gantryv1.Object_EndpointSlice:
		return validateEndpointSlice(k.EndpointSlice)
	case *gantryv1.Object_ConfigMap:
		return validateConfigMap(k.ConfigMap)
	case *gantryv1.Object_Secret:
		return validateSecret(k.Secret)
	case *gantryv1.Object_Lease:
		return validateLease(k.Lease)
	case *gantryv1.Object_Event:
		return validateEvent(k.Event)
	case *gantryv1.Object_Ingress:
		return validateIngress(k.Ingress)
	case *gantryv1.Object_PodDisruptionBudget:
		return validatePodDisruptionBudget(k.PodDisruptionBudget)
	}
	return nil
}
