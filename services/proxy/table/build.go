package table

import (
	"net/netip"
	"slices"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// ServiceNameLabel names the Service an EndpointSlice belongs to.
const ServiceNameLabel = "kubernetes.io/service-name"

// Service types and cluster IP values the table understands.
const (
	TypeClusterIP    = "ClusterIP"
	TypeNodePort     = "NodePort"
	TypeLoadBalancer = "LoadBalancer"
	ClusterIPNone    = "None"
	AffinityNone     = "None"
	AffinityClientIP = "ClientIP"
)

// Build returns the table of services and the slices that belong to them.
// It is a pure function of its arguments, which it does not modify; what it
// cannot use (unparsable IPs, ports out of range, unknown protocols, slices
// of no known service) is left out, as the package comment says.
func Build(services []*gantryv1.Service, endpointSlices []*gantryv1.EndpointSlice) *Table {
	bySvc := groupSlices(endpointSlices)
	t := &Table{routes: make(map[PortKey]*Route, len(services)), services: make(map[ServiceKey]*Service, len(services))}
	for _, s := range services {
		m := s.GetMetadata()
		key := ServiceKey{Namespace: m.GetNamespace(), Name: m.GetName()}
		if key.Name == "" {
			continue
		}
		svc := buildService(key, s.GetSpec(), bySvc[key])
		t.services[key] = svc
		if !svc.ClusterIP.IsValid() {
			continue
		}
		for _, r := range svc.Ports {
			t.routes[r.Key] = r
			t.nEps += len(r.Endpoints)
		}
	}
	t.sorted = make([]*Route, 0, len(t.routes))
	for _, r := range t.routes {
		t.sorted = append(t.sorted, r)
	}
	slices.SortFunc(t.sorted, func(a, b *Route) int { return a.Key.Compare(b.Key) })
	t.ssorted = make([]*Service, 0, len(t.services))
	for _, s := range t.services {
		t.ssorted = append(t.ssorted, s)
	}
	slices.SortFunc(t.ssorted, func(a, b *Service) int {
		return PortKey{ServiceKey: a.Key}.Compare(PortKey{ServiceKey: b.Key})
	})
	return t
}

// groupSlices indexes the usable slices by the service they belong to.
func groupSlices(in []*gantryv1.EndpointSlice) map[ServiceKey][]*gantryv1.EndpointSlice {
	out := make(map[ServiceKey][]*gantryv1.EndpointSlice, len(in))
	for _, sl := range in {
		m := sl.GetMetadata()
		name := m.GetLabels()[ServiceNameLabel]
		switch {
		case name == "":
			continue
		case sl.GetAddressType() != "" && sl.GetAddressType() != "IPv4" && sl.GetAddressType() != "IPv6":
			continue // FQDN: nothing a proxy can dial
		}
		k := ServiceKey{Namespace: m.GetNamespace(), Name: name}
		out[k] = append(out[k], sl)
	}
	return out
}

func buildService(key ServiceKey, spec *gantryv1.ServiceSpec, sls []*gantryv1.EndpointSlice) *Service {
	svc := &Service{Key: key, Type: spec.GetType()}
	if svc.Type == "" {
		svc.Type = TypeClusterIP
	}
	switch ip := spec.GetClusterIp(); ip {
	case ClusterIPNone:
		svc.Headless = true
	case "":
	default:
		if a, err := netip.ParseAddr(ip); err == nil && a.Zone() == "" {
			svc.ClusterIP = a.Unmap()
		}
	}
	affinity := AffinityNone
	if spec.GetSessionAffinity() == AffinityClientIP {
		affinity = AffinityClientIP
	}
	seen := map[PortKey]bool{}
	for _, p := range spec.GetPorts() {
		proto := Protocol(p.GetProtocol())
		if proto == "" {
			proto = TCP
		}
		k := PortKey{ServiceKey: key, Port: p.GetName(), Protocol: proto}
		if !validProtocol(proto) || !validPort(p.GetPort()) || seen[k] {
			continue
		}
		seen[k] = true
		r := &Route{Key: k, ClusterIP: svc.ClusterIP, Port: uint16(p.GetPort()), SessionAffinity: affinity}
		if (svc.Type == TypeNodePort || svc.Type == TypeLoadBalancer) && validPort(p.GetNodePort()) && !svc.Headless {
			r.NodePort = uint16(p.GetNodePort())
		}
		r.Endpoints = portEndpoints(k, sls)
		r.Targets = targets(r.Endpoints)
		svc.Ports = append(svc.Ports, r)
	}
	if svc.Headless {
		svc.Endpoints = addressEndpoints(sls)
	}
	return svc
}

func validProtocol(p Protocol) bool { return p == TCP || p == UDP || p == SCTP }

func validPort(p int32) bool { return p > 0 && p <= 65535 }
