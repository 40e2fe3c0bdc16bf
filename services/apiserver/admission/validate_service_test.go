package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestValidateService(t *testing.T) {
	svc := func(mut func(*gantryv1.ServiceSpec)) func(*gantryv1.Service) {
		return func(s *gantryv1.Service) { mut(s.Spec) }
	}
	port := func(mut func(*gantryv1.ServicePort)) func(*gantryv1.Service) {
		return svc(func(s *gantryv1.ServiceSpec) { mut(s.Ports[0]) })
	}
	twoPorts := func(a, b string) func(*gantryv1.Service) {
		return svc(func(s *gantryv1.ServiceSpec) {
			s.Ports = []*gantryv1.ServicePort{{Name: a, Port: 80}, {Name: b, Port: 443}}
		})
	}
	runValidate(t, []wantCase{
		mk("valid", validService, nil, "", ""),
		mk("nil spec", validService, func(s *gantryv1.Service) { s.Spec = nil }, "spec.ports", "Required value"),
		mk("no ports", validService, svc(func(s *gantryv1.ServiceSpec) { s.Ports = nil }), "spec.ports", "Required value"),
		mk("headless without ports", validService, svc(func(s *gantryv1.ServiceSpec) { s.Ports, s.ClusterIp = nil, "None" }), "", ""),
		mk("single unnamed port", validService, port(func(p *gantryv1.ServicePort) { p.Name = "" }), "", ""),
		mk("two named ports", validService, twoPorts("http", "https"), "", ""),
		mk("second port unnamed", validService, twoPorts("http", ""), "spec.ports[1].name", "Required value"),
		mk("duplicate port names", validService, twoPorts("http", "http"), "spec.ports[1].name", `Duplicate value: "http"`),
		mk("port name not a label", validService, port(func(p *gantryv1.ServicePort) { p.Name = "HTTP" }),
			"spec.ports[0].name", "RFC 1123 label"),
		mk("port zero", validService, port(func(p *gantryv1.ServicePort) { p.Port = 0 }),
			"spec.ports[0].port", "must be between 1 and 65535"),
		mk("port too big", validService, port(func(p *gantryv1.ServicePort) { p.Port = 65536 }),
			"spec.ports[0].port", "must be between 1 and 65535"),
		mk("protocol UDP", validService, port(func(p *gantryv1.ServicePort) { p.Protocol = "UDP" }), "", ""),
		mk("protocol SCTP", validService, port(func(p *gantryv1.ServicePort) { p.Protocol = "SCTP" }),
			"spec.ports[0].protocol", `Unsupported value: "SCTP": supported values: "TCP", "UDP"`),
		mk("protocol bad", validService, port(func(p *gantryv1.ServicePort) { p.Protocol = "ICMP" }),
			"spec.ports[0].protocol", `Unsupported value: "ICMP"`),
		mk("numeric targetPort", validService, port(func(p *gantryv1.ServicePort) { p.TargetPort = "8080" }), "", ""),
		mk("targetPort out of range", validService, port(func(p *gantryv1.ServicePort) { p.TargetPort = "70000" }),
			"spec.ports[0].targetPort", "must be between 1 and 65535"),
		mk("targetPort bad name", validService, port(func(p *gantryv1.ServicePort) { p.TargetPort = "web_port" }),
			"spec.ports[0].targetPort", "must contain only alpha-numeric characters"),
		mk("nodePort", validService, svc(func(s *gantryv1.ServiceSpec) { s.Type, s.Ports[0].NodePort = "NodePort", 30080 }), "", ""),
		// The node port range is the apiserver's flag: the store judges it.
		mk("nodePort outside the default range", validService, svc(func(s *gantryv1.ServiceSpec) { s.Type, s.Ports[0].NodePort = "NodePort", 8080 }), "", ""),
		mk("nodePort not a port", validService, svc(func(s *gantryv1.ServiceSpec) { s.Type, s.Ports[0].NodePort = "NodePort", 70000 }),
			"spec.ports[0].nodePort", "must be between 1 and 65535"),
		mk("nodePort on LoadBalancer", validService, svc(func(s *gantryv1.ServiceSpec) { s.Type, s.Ports[0].NodePort = "LoadBalancer", 30080 }), "", ""),
		mk("nodePort on ClusterIP", validService, port(func(p *gantryv1.ServicePort) { p.NodePort = 30080 }),
			"spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'"),
		mk("duplicate nodePort", validService, svc(func(s *gantryv1.ServiceSpec) {
			s.Type = "NodePort"
			s.Ports = []*gantryv1.ServicePort{{Name: "a", Port: 80, NodePort: 30001}, {Name: "b", Port: 81, NodePort: 30001}}
		}), "spec.ports[1].nodePort", "Duplicate value"),
		mk("type LoadBalancer", validService, svc(func(s *gantryv1.ServiceSpec) { s.Type = "LoadBalancer" }), "", ""),
		mk("type ExternalName", validService, svc(func(s *gantryv1.ServiceSpec) { s.Type = "ExternalName" }),
			"spec.type", `Unsupported value: "ExternalName": supported values: "ClusterIP", "NodePort", "LoadBalancer"`),
		mk("headless LoadBalancer", validService, svc(func(s *gantryv1.ServiceSpec) { s.ClusterIp, s.Type = "None", "LoadBalancer" }),
			"spec.clusterIP", "may not be set to 'None' for LoadBalancer services"),
		mk("clusterIPs matching", validService, svc(func(s *gantryv1.ServiceSpec) { s.ClusterIp, s.ClusterIps = "10.96.0.10", []string{"10.96.0.10"} }), "", ""),
		mk("clusterIPs dual", validService, svc(func(s *gantryv1.ServiceSpec) {
			s.ClusterIp, s.ClusterIps = "10.96.0.10", []string{"10.96.0.10", "fd00::10"}
		}), "spec.clusterIPs", "may hold at most one address"),
		mk("clusterIPs mismatch", validService, svc(func(s *gantryv1.ServiceSpec) { s.ClusterIp, s.ClusterIps = "10.96.0.10", []string{"10.96.0.11"} }),
			"spec.clusterIPs[0]", "must match `clusterIP`"),
		mk("duplicate port and protocol", validService, svc(func(s *gantryv1.ServiceSpec) {
			s.Ports = []*gantryv1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 80, Protocol: "TCP"}}
		}), "spec.ports[1]", `Duplicate value: "80/TCP"`),
		mk("one port number, two protocols", validService, svc(func(s *gantryv1.ServiceSpec) {
			s.Ports = []*gantryv1.ServicePort{{Name: "dns", Port: 53, Protocol: "UDP"}, {Name: "dns-tcp", Port: 53, Protocol: "TCP"}}
		}), "", ""),
		mk("targetPort named", validService, port(func(p *gantryv1.ServicePort) { p.TargetPort = "http-alt" }), "", ""),
		mk("selector key bad", validService, svc(func(s *gantryv1.ServiceSpec) { s.Selector = map[string]string{"a b": "x"} }),
			"spec.selector", "name part must consist of"),
		mk("clusterIP", validService, svc(func(s *gantryv1.ServiceSpec) { s.ClusterIp = "10.96.0.10" }), "", ""),
		mk("clusterIP garbage", validService, svc(func(s *gantryv1.ServiceSpec) { s.ClusterIp = "10.96.0" }),
			"spec.clusterIP", "must be a valid IP address"),
		mk("clusterIP IPv6", validService, svc(func(s *gantryv1.ServiceSpec) { s.ClusterIp = "fd00::10" }),
			"spec.clusterIP", "must be a valid IPv4 address"),
		mk("headless NodePort", validService, svc(func(s *gantryv1.ServiceSpec) { s.ClusterIp, s.Type = "None", "NodePort" }),
			"spec.clusterIP", "may not be set to 'None' for NodePort services"),
		mk("session affinity ClientIP", validService, svc(func(s *gantryv1.ServiceSpec) { s.SessionAffinity = "ClientIP" }), "", ""),
		mk("session affinity bad", validService, svc(func(s *gantryv1.ServiceSpec) { s.SessionAffinity = "Sticky" }),
			"spec.sessionAffinity", "Unsupported value"),
		mk("selector bad", validService, svc(func(s *gantryv1.ServiceSpec) { s.Selector = map[string]string{"app": "-"} }),
			"spec.selector", `"-"`),
	})
}
