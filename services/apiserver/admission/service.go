package admission

import (
	"net"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	v1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The NodePort range, as Kubernetes' default --service-node-port-range.
const (
	nodePortMin = 30000
	nodePortMax = 32767
)

const (
	serviceTypeClusterIP = "ClusterIP"
	serviceTypeNodePort  = "NodePort"
	clusterIPNone        = "None"
)

func validateService(svc *gantryv1.Service) field.ErrorList {
	spec, p := svc.GetSpec(), field.NewPath("spec")
	typ := spec.GetType()
	errs := notSupported(p.Child("type"), typ, serviceTypeClusterIP, serviceTypeNodePort)
	errs = append(errs, validateClusterIP(spec, p.Child("clusterIP"))...)
	errs = append(errs, notSupported(p.Child("sessionAffinity"), spec.GetSessionAffinity(), "ClientIP", "None")...)
	errs = append(errs, v1validation.ValidateLabels(spec.GetSelector(), p.Child("selector"))...)
	if len(spec.GetPorts()) == 0 && spec.GetClusterIp() != clusterIPNone {
		errs = append(errs, field.Required(p.Child("ports"), ""))
	}
	return append(errs, validateServicePorts(spec.GetPorts(), typ, p.Child("ports"))...)
}

// validateClusterIP accepts "" (to be allocated), "None" (headless) or an
// IPv4 address; Gantry's service network is IPv4 only.
func validateClusterIP(spec *gantryv1.ServiceSpec, p *field.Path) field.ErrorList {
	ip := spec.GetClusterIp()
	switch {
	case ip == "":
		return nil
	case ip == clusterIPNone && spec.GetType() == serviceTypeNodePort:
		return field.ErrorList{field.Invalid(p, ip, "may not be set to 'None' for NodePort services")}
	case ip == clusterIPNone:
		return nil
	}
	if errs := validation.IsValidIP(p, ip); len(errs) > 0 {
		return errs
	}
	if net.ParseIP(ip).To4() == nil {
		return field.ErrorList{field.Invalid(p, ip, "must be a valid IPv4 address")}
	}
	return nil
}

func validateServicePorts(ports []*gantryv1.ServicePort, typ string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	nodePorts := map[string]bool{}
	for i, port := range ports {
		ip := p.Index(i)
		errs = append(errs, validateServicePortName(port.GetName(), len(ports) > 1, names, ip.Child("name"))...)
		errs = append(errs, invalid(ip.Child("port"), port.GetPort(), validation.IsValidPortNum(int(port.GetPort())))...)
		errs = append(errs, validateProtocol(ip.Child("protocol"), port.GetProtocol())...)
		if tp := port.GetTargetPort(); tp != "" {
			errs = append(errs, validateTargetPort(tp, ip.Child("targetPort"))...)
		}
		errs = append(errs, validateNodePort(port, typ, nodePorts, ip.Child("nodePort"))...)
	}
	return errs
}

// validateServicePortName: names are optional for a single port, but with
// several ports they are how endpoints and clients tell the ports apart.
func validateServicePortName(name string, required bool, seen map[string]bool, p *field.Path) field.ErrorList {
	switch {
	case name == "" && required:
		return field.ErrorList{field.Required(p, "")}
	case name == "":
		return nil
	case seen[name]:
		return field.ErrorList{field.Duplicate(p, name)}
	}
	seen[name] = true
	return invalid(p, name, validation.IsDNS1123Label(name))
}

func validateTargetPort(tp string, p *field.Path) field.ErrorList {
	v := parseIntOrString(tp)
	if v.Type == intstr.Int {
		return invalid(p, v.IntVal, validation.IsValidPortNum(int(v.IntVal)))
	}
	return invalid(p, tp, validation.IsValidPortName(tp))
}

func validateNodePort(port *gantryv1.ServicePort, typ string, seen map[string]bool, p *field.Path) field.ErrorList {
	np := port.GetNodePort()
	switch {
	case np == 0:
		return nil
	case typ != serviceTypeNodePort:
		return field.ErrorList{field.Forbidden(p, "may not be used when `type` is '"+typeOrDefault(typ)+"'")}
	case np < nodePortMin || np > nodePortMax:
		return field.ErrorList{field.Invalid(p, np, "provided port is not in the valid range. The range of valid ports is 30000-32767")}
	}
	key := protocolOrTCP(port.GetProtocol()) + "/" + itoa32(np)
	if seen[key] {
		return field.ErrorList{field.Duplicate(p, np)}
	}
	seen[key] = true
	return nil
}

func typeOrDefault(typ string) string {
	if typ == "" {
		return serviceTypeClusterIP
	}
	return typ
}
