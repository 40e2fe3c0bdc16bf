package table

import (
	"fmt"
	"net/netip"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func svc(ns, name, ip string, ports ...*gantryv1.ServicePort) *gantryv1.Service {
	return &gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: ns, Name: name},
		Spec:     &gantryv1.ServiceSpec{ClusterIp: ip, Ports: ports},
	}
}

func port(name, proto string, p int32) *gantryv1.ServicePort {
	return &gantryv1.ServicePort{Name: name, Protocol: proto, Port: p}
}

type cond struct{ ready, serving, terminating *bool }

func b(v bool) *bool { return &v }

var (
	readyC       = cond{ready: b(true), serving: b(true), terminating: b(false)}
	notReadyC    = cond{ready: b(false), serving: b(false), terminating: b(false)}
	terminatingC = cond{ready: b(false), serving: b(true), terminating: b(true)}
	goneC        = cond{ready: b(false), serving: b(false), terminating: b(true)}
	unsetC       = cond{}
)

type ep struct {
	ip string
	c  cond
}

func slice(ns, name, svcName string, ports []*gantryv1.EndpointPort, eps ...ep) *gantryv1.EndpointSlice {
	sl := &gantryv1.EndpointSlice{
		Metadata:    &gantryv1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{ServiceNameLabel: svcName}},
		AddressType: "IPv4",
		Ports:       ports,
	}
	for _, e := range eps {
		node := "n1"
		sl.Endpoints = append(sl.Endpoints, &gantryv1.Endpoint{
			Addresses:  []string{e.ip},
			Conditions: &gantryv1.EndpointConditions{Ready: e.c.ready, Serving: e.c.serving, Terminating: e.c.terminating},
			NodeName:   &node,
		})
	}
	return sl
}

func sport(name, proto string, p int32) *gantryv1.EndpointPort {
	return &gantryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &p}
}

func key(ns, name, portName string, proto Protocol) PortKey {
	return PortKey{ServiceKey: ServiceKey{Namespace: ns, Name: name}, Port: portName, Protocol: proto}
}

func addrs(eps []Endpoint) []string {
	out := []string{}
	for _, e := range eps {
		out = append(out, e.Addr.String())
	}
	return out
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// bigCluster is n services of one TCP port, each with eps endpoints in one
// slice, all ready.
func bigCluster(n, eps int) ([]*gantryv1.Service, []*gantryv1.EndpointSlice) {
	var svcs []*gantryv1.Service
	var sls []*gantryv1.EndpointSlice
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%d", i)
		svcs = append(svcs, svc("default", name, fmt.Sprintf("10.96.%d.%d", i/256, i%256), port("http", "TCP", 80)))
		var e []ep
		for j := 0; j < eps; j++ {
			e = append(e, ep{ip: fmt.Sprintf("10.%d.%d.%d", 1+j, i/256, i%256), c: readyC})
		}
		sls = append(sls, slice("default", name+"-abc", name, []*gantryv1.EndpointPort{sport("http", "TCP", 8080)}, e...))
	}
	return svcs, sls
}
