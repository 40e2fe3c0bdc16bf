package admission

import (
	"fmt"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Standard container resources; other names must be domain-qualified
// extended resources such as example.com/gpu.
const (
	resourceCPU              = "cpu"
	resourceMemory           = "memory"
	resourceEphemeralStorage = "ephemeral-storage"
)

func validateResources(r *gantryv1.ResourceRequirements, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	limits := parseResourceList(r.GetLimits(), p.Child("limits"), &errs)
	requests := parseResourceList(r.GetRequests(), p.Child("requests"), &errs)
	for _, name := range sortedKeys(requests) {
		req := requests[name]
		lim, ok := limits[name]
		if !ok {
			continue
		}
		rp := p.Child("requests").Key(name)
		switch {
		case isExtendedResource(name) && req.Cmp(lim) != 0:
			// Extended resources cannot be overcommitted.
			errs = append(errs, field.Invalid(rp, req.String(), fmt.Sprintf("must be equal to %s limit of %s", name, lim.String())))
		case req.Cmp(lim) > 0:
			errs = append(errs, field.Invalid(rp, req.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, lim.String())))
		}
	}
	return errs
}

// parseResourceList parses each quantity and checks each name, appending
// problems to errs. Only the valid entries are returned.
func parseResourceList(list map[string]string, p *field.Path, errs *field.ErrorList) map[string]resource.Quantity {
	out := make(map[string]resource.Quantity, len(list))
	for _, name := range sortedKeys(list) {
		kp := p.Key(name)
		if nameErrs := validateResourceName(name, kp); len(nameErrs) > 0 {
			*errs = append(*errs, nameErrs...)
			continue
		}
		q, err := resource.ParseQuantity(list[name])
		switch {
		case err != nil:
			*errs = append(*errs, field.Invalid(kp, list[name], err.Error()))
		case q.Sign() < 0:
			*errs = append(*errs, field.Invalid(kp, list[name], isNegativeErrorMsg))
		case isExtendedResource(name) && q.MilliValue()%1000 != 0:
			*errs = append(*errs, field.Invalid(kp, list[name], "must be an integer"))
		default:
			out[name] = q
		}
	}
	return out
}

func validateResourceName(name string, p *field.Path) field.ErrorList {
	if errs := invalid(p, name, validation.IsQualifiedName(name)); len(errs) > 0 {
		return errs
	}
	if isExtendedResource(name) {
		return nil
	}
	switch name {
	case resourceCPU, resourceMemory, resourceEphemeralStorage:
		return nil
	}
	return field.ErrorList{field.Invalid(p, name, "must be a standard resource for containers (cpu, memory, ephemeral-storage) or fully qualified")}
}

// isExtendedResource: names with a domain that is not Kubernetes' own.
func isExtendedResource(name string) bool {
	return strings.Contains(name, "/") && !strings.HasPrefix(name, "kubernetes.io/")
}
