package admission

import (
	"net"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	v1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Service types Gantry serves. A LoadBalancer is a NodePort Service that
// an external balancer could front: it gets a cluster IP and node ports,
// and its status stays empty since Gantry has no cloud to ask.
const (
	serviceTypeClusterIP    = "ClusterIP"
	serviceTypeNodePort     = "NodePort"
	serviceTypeLoadBalancer = "LoadBalancer"
	clusterIPNone           = "None"
)

// Which cluster IP and node ports a Service may hold, and whether they
// are free, is decided by the store from the apiserver's ranges: here only
// their form is checked.
func validateService(svc *gantryv1.Service) field.ErrorList {
	spec, p := svc.GetSpec(), field.NewPath("spec")
	typ := spec.GetType()
	errs := notSupported(p.Child("type"), typ, serviceTypeClusterIP, serviceTypeNodePort, serviceTypeLoadBalancer)
	errs = append(errs, validateClusterIP(spec, p.Child("clusterIP"))...)
	errs = append(errs, validateClusterIPs(spec, p.Child("clusterIPs"))...)
	errs = append(errs, notSupported(p.Child("sessionAffinity"), spec.GetSessionAffinity(), "ClientIP", "None")...)
	errs = append(errs, v1validation.ValidateLabels(spec.GetSelector(), p.Child("selector"))...)
	if len(spec.GetPorts()) == 0 && spec.GetClusterIp() != clusterIPNone {
		errs = append(errs, field.Required(p.Child("ports"), ""))
	}
	return append(errs, validateServicePorts(spec.GetPorts(), typ, p.Child("ports"))...)
}

// needsNodePorts: NodePort and LoadBalancer Services are served on every
// node.
func needsNodePorts(typ string) bool {
	return typ == serviceTypeNodePort || typ == serviceTypeLoadBalancer
}

// validateClusterIP accepts "" (to be allocated), "None" (headless) or an
// IPv4 address; Gantry's service network is IPv4 only.
func validateClusterIP(spec *gantryv1.ServiceSpec, p *field.Path) field.ErrorList {
	ip := spec.GetClusterIp()
	switch {
	case ip == "":
		return nil
	case ip == clusterIPNone && needsNodePorts(spec.GetType()):
		return field.ErrorList{field.Invalid(p, ip, "may not be set to 'None' for "+spec.GetType()+" services")}
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

// validateClusterIPs: a single-stack IPv4 Service has one cluster IP, and
// clusterIPs repeats it (Default copies one into the other when only one
// is set).
func validateClusterIPs(spec *gantryv1.ServiceSpec, p *field.Path) field.ErrorList {
	ips := spec.GetClusterIps()
	switch {
	case len(ips) == 0:
		return nil
	case len(ips) > 1:
		return field.ErrorList{field.Invalid(p, ips, "may hold at most one address: Gantry's service network is single-stack IPv4")}
	case ips[0] != spec.GetClusterIp():
		return field.ErrorList{field.Invalid(p.Index(0), ips[0], "must match `clusterIP`")}
	}
	return nil
}

func validateServicePorts(ports []*gantryv1.ServicePort, typ string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	nodePorts := map[string]bool{}
	portProtos := map[string]bool{}
	for i, port := range ports {
		ip := p.Index(i)
		errs = append(errs, validateServicePortName(port.GetName(), len(ports) > 1, names, ip.Child("name"))...)
		errs = append(errs, invalid(ip.Child("port"), port.GetPort(), validation.IsValidPortNum(int(port.GetPort())))...)
		errs = append(errs, notSupported(ip.Child("protocol"), port.GetProtocol(), "TCP", "UDP")...)
		if tp := port.GetTargetPort(); tp != "" {
			errs = append(errs, validateTargetPort(tp, ip.Child("targetPort"))...)
		}
		errs = append(errs, validateNodePort(port, typ, nodePorts, ip.Child("nodePort"))...)
		// Two ports with one number and protocol could not be told apart
		// by the proxy.
		key := itoa32(port.GetPort()) + "/" + protocolOrTCP(port.GetProtocol())
		if portProtos[key] {
			errs = append(errs, field.Duplicate(ip, key))
		}
		portProtos[key] = true
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

// validateTargetPort: a port number, or the name of a container port
// (an IANA_SVC_NAME, as container port names are).
func validateTargetPort(tp string, p *field.Path) field.ErrorList {
	v := parseIntOrString(tp)
	if v.Type == intstr.Int {
		return invalid(p, v.IntVal, validation.IsValidPortNum(int(v.IntVal)))
	}
	return invalid(p, tp, validation.IsValidPortName(tp))
}

// validateNodePort: a node port is a port number, on a type that has node
// ports, once per protocol. Whether it is in --service-node-port-range
// and free is the store's to say.
func validateNodePort(port *gantryv1.ServicePort, typ string, seen map[string]bool, p *field.Path) field.ErrorList {
	np := port.GetNodePort()
	switch {
	case np == 0:
		return nil
	case !needsNodePorts(typ):
		return field.ErrorList{field.Forbidden(p, "may not be used when `type` is '"+typeOrDefault(typ)+"'")}
	}
	if errs := invalid(p, np, validation.IsValidPortNum(int(np))); len(errs) > 0 {
		return errs
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
