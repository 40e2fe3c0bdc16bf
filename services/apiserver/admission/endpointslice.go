package admission

import (
	"net"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Bounds from Kubernetes' discovery/v1 validation; they keep one slice
// well below the store's object size limit.
const (
	maxEndpoints          = 1000
	maxEndpointAddresses  = 100
	maxEndpointSlicePorts = 100
)

const (
	addressTypeIPv4 = "IPv4"
	addressTypeIPv6 = "IPv6"
	addressTypeFQDN = "FQDN"
)

func validateEndpointSlice(es *gantryv1.EndpointSlice) field.ErrorList {
	at := es.GetAddressType()
	errs := notSupported(field.NewPath("addressType"), at, addressTypeIPv4, addressTypeIPv6, addressTypeFQDN)
	errs = append(errs, validateEndpoints(es.GetEndpoints(), at, field.NewPath("endpoints"))...)
	return append(errs, validateEndpointPorts(es.GetPorts(), field.NewPath("ports"))...)
}

func validateEndpoints(eps []*gantryv1.Endpoint, addressType string, p *field.Path) field.ErrorList {
	if len(eps) > maxEndpoints {
		return field.ErrorList{field.TooMany(p, len(eps), maxEndpoints)}
	}
	var errs field.ErrorList
	for i, ep := range eps {
		ip := p.Index(i)
		errs = append(errs, validateEndpointAddresses(ep.GetAddresses(), addressType, ip.Child("addresses"))...)
		if h := ep.GetHostname(); h != "" {
			errs = append(errs, invalid(ip.Child("hostname"), h, validation.IsDNS1123Label(h))...)
		}
		if n := ep.GetNodeName(); n != "" {
			errs = append(errs, invalid(ip.Child("nodeName"), n, validation.IsDNS1123Subdomain(n))...)
		}
	}
	return errs
}

func validateEndpointAddresses(addrs []string, addressType string, p *field.Path) field.ErrorList {
	switch {
	case len(addrs) == 0:
		return field.ErrorList{field.Required(p, "must contain at least 1 address")}
	case len(addrs) > maxEndpointAddresses:
		return field.ErrorList{field.TooMany(p, len(addrs), maxEndpointAddresses)}
	}
	var errs field.ErrorList
	for i, a := range addrs {
		errs = append(errs, validateAddress(a, addressType, p.Index(i))...)
	}
	return errs
}

// validateAddress checks one address against the slice's family. An empty
// address type is checked as IPv4, the type Default fills.
func validateAddress(a, addressType string, p *field.Path) field.ErrorList {
	switch addressType {
	case addressTypeFQDN:
		return validation.IsFullyQualifiedDomainName(p, a)
	case addressTypeIPv4, addressTypeIPv6, "":
	default:
		return nil // the type itself is already reported
	}
	if errs := validation.IsValidIP(p, a); len(errs) > 0 {
		return errs
	}
	isV4 := net.ParseIP(a).To4() != nil
	if addressType == addressTypeIPv6 && isV4 {
		return field.ErrorList{field.Invalid(p, a, "must be an IPv6 address")}
	}
	if addressType != addressTypeIPv6 && !isV4 {
		return field.ErrorList{field.Invalid(p, a, "must be an IPv4 address")}
	}
	return nil
}

func validateEndpointPorts(ports []*gantryv1.EndpointPort, p *field.Path) field.ErrorList {
	if len(ports) > maxEndpointSlicePorts {
		return field.ErrorList{field.TooMany(p, len(ports), maxEndpointSlicePorts)}
	}
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		ip := p.Index(i)
		name := port.GetName()
		if name != "" {
			errs = append(errs, invalid(ip.Child("name"), name, validation.IsDNS1123Label(name))...)
		}
		if names[name] {
			errs = append(errs, field.Duplicate(ip.Child("name"), name))
		}
		names[name] = true
		errs = append(errs, validateProtocol(ip.Child("protocol"), port.GetProtocol())...)
		if port != nil && port.Port != nil {
			errs = append(errs, invalid(ip.Child("port"), *port.Port, validation.IsValidPortNum(int(*port.Port)))...)
		}
	}
	return errs
}
