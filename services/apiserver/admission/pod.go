package admission

import (
	"math"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	v1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validatePod(pod *gantryv1.Pod) field.ErrorList {
	return validatePodSpec(pod.GetSpec(), field.NewPath("spec"))
}

// validatePodSpec checks a pod spec, standalone or inside a template.
func validatePodSpec(spec *gantryv1.PodSpec, p *field.Path) field.ErrorList {
	errs := validateContainers(spec.GetContainers(), p.Child("containers"))
	errs = append(errs, notSupported(p.Child("restartPolicy"), spec.GetRestartPolicy(), "Always", "OnFailure", "Never")...)
	errs = append(errs, v1validation.ValidateLabels(spec.GetNodeSelector(), p.Child("nodeSelector"))...)
	errs = append(errs, validateTolerations(spec.GetTolerations(), p.Child("tolerations"))...)
	errs = append(errs, validatePodNames(spec, p)...)
	if spec != nil && spec.TerminationGracePeriodSeconds != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(*spec.TerminationGracePeriodSeconds, p.Child("terminationGracePeriodSeconds"))...)
	}
	if spec != nil && spec.ActiveDeadlineSeconds != nil {
		if v := *spec.ActiveDeadlineSeconds; v < 1 || v > math.MaxInt32 {
			errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), v, validation.InclusiveRangeError(1, math.MaxInt32)))
		}
	}
	return append(errs, validateHostPorts(spec.GetContainers(), p.Child("containers"))...)
}

// validatePodNames checks the DNS names a pod spec carries.
func validatePodNames(spec *gantryv1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if n := spec.GetNodeName(); n != "" {
		errs = append(errs, invalid(p.Child("nodeName"), n, validation.IsDNS1123Subdomain(n))...)
	}
	if n := spec.GetSchedulerName(); n != "" {
		errs = append(errs, invalid(p.Child("schedulerName"), n, validation.IsDNS1123Subdomain(n))...)
	}
	if n := spec.GetHostname(); n != "" {
		errs = append(errs, invalid(p.Child("hostname"), n, validation.IsDNS1123Label(n))...)
	}
	if n := spec.GetSubdomain(); n != "" {
		errs = append(errs, invalid(p.Child("subdomain"), n, validation.IsDNS1123Label(n))...)
	}
	return errs
}

func validateContainers(cs []*gantryv1.Container, p *field.Path) field.ErrorList {
	if len(cs) == 0 {
		return field.ErrorList{field.Required(p, "must have at least one container")}
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range cs {
		ip := p.Index(i)
		name := c.GetName()
		switch {
		case name == "":
			errs = append(errs, field.Required(ip.Child("name"), ""))
		case seen[name]:
			errs = append(errs, field.Duplicate(ip.Child("name"), name))
		default:
			errs = append(errs, invalid(ip.Child("name"), name, validation.IsDNS1123Label(name))...)
		}
		seen[name] = true
		errs = append(errs, validateContainer(c, ip)...)
	}
	return errs
}

func validateContainer(c *gantryv1.Container, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	// The process runtime can run a command without an image, so either
	// one is enough here, unlike Kubernetes which always needs the image.
	if c.GetImage() == "" && len(c.GetCommand()) == 0 {
		errs = append(errs, field.Required(p.Child("image"), "image or command is required"))
	}
	errs = append(errs, notSupported(p.Child("imagePullPolicy"), c.GetImagePullPolicy(), "Always", "IfNotPresent", "Never")...)
	errs = append(errs, validateContainerPorts(c.GetPorts(), p.Child("ports"))...)
	errs = append(errs, validateEnv(c.GetEnv(), p.Child("env"))...)
	errs = append(errs, validateResources(c.GetResources(), p.Child("resources"))...)
	errs = append(errs, validateProbe(c.GetLivenessProbe(), p.Child("livenessProbe"), liveness)...)
	errs = append(errs, validateProbe(c.GetReadinessProbe(), p.Child("readinessProbe"), readiness)...)
	errs = append(errs, validateProbe(c.GetStartupProbe(), p.Child("startupProbe"), startup)...)
	return errs
}

func validateContainerPorts(ports []*gantryv1.ContainerPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		ip := p.Index(i)
		if n := port.GetName(); n != "" {
			errs = append(errs, invalid(ip.Child("name"), n, validation.IsValidPortName(n))...)
			if names[n] {
				errs = append(errs, field.Duplicate(ip.Child("name"), n))
			}
			names[n] = true
		}
		if port.GetContainerPort() == 0 {
			errs = append(errs, field.Required(ip.Child("containerPort"), ""))
		} else {
			errs = append(errs, invalid(ip.Child("containerPort"), port.GetContainerPort(), validation.IsValidPortNum(int(port.GetContainerPort())))...)
		}
		if port.GetHostPort() != 0 {
			errs = append(errs, invalid(ip.Child("hostPort"), port.GetHostPort(), validation.IsValidPortNum(int(port.GetHostPort())))...)
		}
		if addr := port.GetHostIp(); addr != "" {
			errs = append(errs, validation.IsValidIP(ip.Child("hostIP"), addr)...)
		}
		errs = append(errs, validateProtocol(ip.Child("protocol"), port.GetProtocol())...)
	}
	return errs
}

// validateHostPorts rejects two containers of a pod claiming the same host
// port: the pod could never start.
func validateHostPorts(cs []*gantryv1.Container, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range cs {
		for j, port := range c.GetPorts() {
			if port.GetHostPort() == 0 {
				continue
			}
			key := protocolOrTCP(port.GetProtocol()) + "/" + port.GetHostIp() + "/" + itoa32(port.GetHostPort())
			if seen[key] {
				errs = append(errs, field.Duplicate(p.Index(i).Child("ports").Index(j).Child("hostPort"), key))
			}
			seen[key] = true
		}
	}
	return errs
}

func protocolOrTCP(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}

// validateProtocol checks a port protocol; empty means TCP.
func validateProtocol(p *field.Path, v string) field.ErrorList {
	return notSupported(p, v, "TCP", "UDP", "SCTP")
}

// validateEffect checks a taint effect; for tolerations empty means all.
func validateEffect(p *field.Path, v string) field.ErrorList {
	return notSupported(p, v, "NoSchedule", "PreferNoSchedule", "NoExecute")
}

func validateEnv(env []*gantryv1.EnvVar, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, e := range env {
		ip := p.Index(i)
		if e.GetName() == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		} else {
			errs = append(errs, invalid(ip.Child("name"), e.GetName(), validation.IsEnvVarName(e.GetName()))...)
		}
		errs = append(errs, validateEnvSource(e, ip.Child("valueFrom"))...)
	}
	return errs
}

// validateEnvSource checks valueFrom: exactly one source, each naming what
// it reads, and never together with a literal value.
func validateEnvSource(e *gantryv1.EnvVar, p *field.Path) field.ErrorList {
	from := e.GetValueFrom()
	if from == nil {
		return nil
	}
	var errs field.ErrorList
	if e.GetValue() != "" {
		errs = append(errs, field.Invalid(p, "", "may not be specified when `value` is not empty"))
	}
	n := 0
	if ref := from.GetFieldRef(); ref != nil {
		n++
		if ref.GetFieldPath() == "" {
			errs = append(errs, field.Required(p.Child("fieldRef", "fieldPath"), ""))
		}
	}
	if ref := from.GetConfigMapKeyRef(); ref != nil {
		n++
		errs = append(errs, validateKeyRef(ref.GetName(), ref.GetKey(), p.Child("configMapKeyRef"))...)
	}
	if ref := from.GetSecretKeyRef(); ref != nil {
		n++
		errs = append(errs, validateKeyRef(ref.GetName(), ref.GetKey(), p.Child("secretKeyRef"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Invalid(p, "", "must specify one of: `fieldRef`, `configMapKeyRef` or `secretKeyRef`"))
	case n > 1:
		errs = append(errs, field.Invalid(p, "", "may not have more than one field specified at a time"))
	}
	return errs
}

func validateKeyRef(name, key string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		errs = append(errs, invalid(p.Child("name"), name, validation.IsDNS1123Subdomain(name))...)
	}
	if key == "" {
		errs = append(errs, field.Required(p.Child("key"), ""))
	} else {
		errs = append(errs, invalid(p.Child("key"), key, validation.IsConfigMapKey(key))...)
	}
	return errs
}

func validateTolerations(ts []*gantryv1.Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range ts {
		errs = append(errs, validateToleration(t, p.Index(i))...)
	}
	return errs
}

// validateToleration mirrors Kubernetes: an empty key only makes sense with
// Exists (tolerate everything), Exists takes no value, and a toleration
// time only applies to NoExecute.
func validateToleration(t *gantryv1.Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if k := t.GetKey(); k != "" {
		errs = append(errs, invalid(p.Child("key"), k, validation.IsQualifiedName(k))...)
	} else if t.GetOperator() != "Exists" {
		errs = append(errs, field.Invalid(p.Child("operator"), t.GetOperator(),
			"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
	}
	switch t.GetOperator() {
	case "", "Equal":
		errs = append(errs, invalid(p.Child("value"), t.GetValue(), validation.IsValidLabelValue(t.GetValue()))...)
	case "Exists":
		if t.GetValue() != "" {
			errs = append(errs, field.Invalid(p.Child("value"), t.GetValue(), "value must be empty when `operator` is 'Exists'"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("operator"), t.GetOperator(), []string{"Equal", "Exists"}))
	}
	errs = append(errs, validateEffect(p.Child("effect"), t.GetEffect())...)
	if t != nil && t.TolerationSeconds != nil && t.GetEffect() != "NoExecute" {
		errs = append(errs, field.Invalid(p.Child("effect"), t.GetEffect(), "effect must be 'NoExecute' when `tolerationSeconds` is set"))
	}
	return errs
}
