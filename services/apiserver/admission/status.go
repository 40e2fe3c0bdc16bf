package admission

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateStatus makes light checks of a status write: enum values,
// condition shapes, counters and addresses. Status is written by Gantry's
// own components, so this guards against bugs rather than users. It
// returns nil or an error wrapping ErrInvalid.
func ValidateStatus(o *gantryv1.Object) error {
	if apimeta.InfoOf(o) == nil {
		return toError(ErrInvalid, field.ErrorList{field.Required(field.NewPath("kind"), "the object envelope holds no kind")})
	}
	return toError(ErrInvalid, validateStatusBody(o))
}

func validateStatusBody(o *gantryv1.Object) field.ErrorList {
	p := field.NewPath("status")
	switch k := o.GetKind().(type) {
	case *gantryv1.Object_Namespace:
		return notSupported(p.Child("phase"), k.Namespace.GetStatus().GetPhase(), "Active", "Terminating")
	case *gantryv1.Object_Node:
		return validateNodeStatus(k.Node.GetStatus(), p)
	case *gantryv1.Object_Pod:
		return validatePodStatus(k.Pod.GetStatus(), p)
	case *gantryv1.Object_ReplicaSet:
		s := k.ReplicaSet.GetStatus()
		errs := validateCounts(p, map[string]int64{"replicas": int64(s.GetReplicas()), "fullyLabeledReplicas": int64(s.GetFullyLabeledReplicas()),
			"readyReplicas": int64(s.GetReadyReplicas()), "availableReplicas": int64(s.GetAvailableReplicas()), "observedGeneration": s.GetObservedGeneration()})
		return append(errs, validateConditions(s.GetConditions(), p.Child("conditions"))...)
	case *gantryv1.Object_Deployment:
		s := k.Deployment.GetStatus()
		errs := validateCounts(p, map[string]int64{"replicas": int64(s.GetReplicas()), "updatedReplicas": int64(s.GetUpdatedReplicas()),
			"readyReplicas": int64(s.GetReadyReplicas()), "availableReplicas": int64(s.GetAvailableReplicas()),
			"unavailableReplicas": int64(s.GetUnavailableReplicas()), "observedGeneration": s.GetObservedGeneration(),
			"collisionCount": int64(s.GetCollisionCount())})
		return append(errs, validateConditions(s.GetConditions(), p.Child("conditions"))...)
	case *gantryv1.Object_Service:
		return validateConditions(k.Service.GetStatus().GetConditions(), p.Child("conditions"))
	case *gantryv1.Object_PodDisruptionBudget:
		s := k.PodDisruptionBudget.GetStatus()
		errs := validateCounts(p, map[string]int64{"disruptionsAllowed": int64(s.GetDisruptionsAllowed()), "currentHealthy": int64(s.GetCurrentHealthy()),
			"desiredHealthy": int64(s.GetDesiredHealthy()), "expectedPods": int64(s.GetExpectedPods()), "observedGeneration": s.GetObservedGeneration()})
		return append(errs, validateConditions(s.GetConditions(), p.Child("conditions"))...)
	}
	return nil
}

// validateCounts reports negative counters, in a fixed order.
func validateCounts(p *field.Path, counts map[string]int64) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(counts) {
		errs = append(errs, nonNegative(p.Child(name), counts[name])...)
	}
	return errs
}

func validatePodStatus(s *gantryv1.PodStatus, p *field.Path) field.ErrorList {
	errs := notSupported(p.Child("phase"), s.GetPhase(), "Pending", "Running", "Succeeded", "Failed", "Unknown")
	errs = append(errs, validateConditions(s.GetConditions(), p.Child("conditions"))...)
	if ip := s.GetPodIp(); ip != "" {
		errs = append(errs, validation.IsValidIP(p.Child("podIP"), ip)...)
	}
	if ip := s.GetHostIp(); ip != "" {
		errs = append(errs, validation.IsValidIP(p.Child("hostIP"), ip)...)
	}
	for i, pip := range s.GetPodIps() {
		errs = append(errs, validation.IsValidIP(p.Child("podIPs").Index(i).Child("ip"), pip.GetIp())...)
	}
	for i, cs := range s.GetContainerStatuses() {
		errs = append(errs, validateContainerStatus(cs, p.Child("containerStatuses").Index(i))...)
	}
	return errs
}

func validateContainerStatus(cs *gantryv1.ContainerStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if cs.GetName() == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	errs = append(errs, nonNegative(p.Child("restartCount"), cs.GetRestartCount())...)
	errs = append(errs, validateContainerState(cs.GetState(), p.Child("state"))...)
	return append(errs, validateContainerState(cs.GetLastState(), p.Child("lastState"))...)
}

// validateContainerState: a container is in at most one state at a time.
func validateContainerState(s *gantryv1.ContainerState, p *field.Path) field.ErrorList {
	n := 0
	for _, set := range []bool{s.GetWaiting() != nil, s.GetRunning() != nil, s.GetTerminated() != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return field.ErrorList{field.Forbidden(p, "may not specify more than 1 state type")}
	}
	return nil
}

func validateNodeStatus(s *gantryv1.NodeStatus, p *field.Path) field.ErrorList {
	errs := validateConditions(s.GetConditions(), p.Child("conditions"))
	errs = append(errs, validateQuantities(s.GetCapacity(), p.Child("capacity"))...)
	errs = append(errs, validateQuantities(s.GetAllocatable(), p.Child("allocatable"))...)
	for i, a := range s.GetAddresses() {
		ap := p.Child("addresses").Index(i)
		errs = append(errs, notSupported(ap.Child("type"), a.GetType(), "Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS")...)
		if a.GetType() == "" {
			errs = append(errs, field.Required(ap.Child("type"), ""))
		}
		if a.GetAddress() == "" {
			errs = append(errs, field.Required(ap.Child("address"), ""))
		}
	}
	return errs
}

func validateQuantities(m map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(m) {
		errs = append(errs, invalid(p.Key(name), name, validation.IsQualifiedName(name))...)
		q, err := resource.ParseQuantity(m[name])
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(p.Key(name), m[name], err.Error()))
		case q.Sign() < 0:
			errs = append(errs, field.Invalid(p.Key(name), m[name], isNegativeErrorMsg))
		}
	}
	return errs
}

// validateConditions: every condition has a type, a status of True, False
// or Unknown, and each type appears once.
func validateConditions(cs []*gantryv1.Condition, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range cs {
		ip := p.Index(i)
		switch t := c.GetType(); {
		case t == "":
			errs = append(errs, field.Required(ip.Child("type"), ""))
		case seen[t]:
			errs = append(errs, field.Duplicate(ip.Child("type"), t))
		}
		seen[c.GetType()] = true
		if c.GetStatus() == "" {
			errs = append(errs, field.Required(ip.Child("status"), ""))
		} else {
			errs = append(errs, notSupported(ip.Child("status"), c.GetStatus(), "True", "False", "Unknown")...)
		}
	}
	return errs
}
