package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
)

func validIngress() *gantryv1.Ingress {
	backend := func(name string, number int32, port string) *gantryv1.IngressBackend {
		return &gantryv1.IngressBackend{Service: &gantryv1.IngressServiceBackend{Name: name,
			Port: &gantryv1.ServiceBackendPort{Number: number, Name: port}}}
	}
	return &gantryv1.Ingress{Metadata: meta("web"), Spec: &gantryv1.IngressSpec{
		IngressClassName: proto.String("gantry"),
		DefaultBackend:   backend("fallback", 80, ""),
		Tls:              []*gantryv1.IngressTLS{{Hosts: []string{"a.example.com", "*.b.example.com"}, SecretName: "certs"}},
		Rules: []*gantryv1.IngressRule{
			{Host: "a.example.com", Http: &gantryv1.HTTPIngressRuleValue{Paths: []*gantryv1.HTTPIngressPath{
				{Path: "/", PathType: "Prefix", Backend: backend("web", 80, "")},
				{Path: "/api/v1", PathType: "Exact", Backend: backend("api", 0, "http")},
			}}},
			{Host: "*.b.example.com", Http: &gantryv1.HTTPIngressRuleValue{Paths: []*gantryv1.HTTPIngressPath{
				{PathType: "ImplementationSpecific", Backend: backend("web", 8080, "")},
			}}},
		},
	}}
}

func TestValidateIngress(t *testing.T) {
	path := func(mut func(*gantryv1.HTTPIngressPath)) func(*gantryv1.Ingress) {
		return func(i *gantryv1.Ingress) { mut(i.Spec.Rules[0].Http.Paths[0]) }
	}
	port := func(mut func(*gantryv1.ServiceBackendPort)) func(*gantryv1.Ingress) {
		return path(func(p *gantryv1.HTTPIngressPath) { mut(p.Backend.Service.Port) })
	}
	runValidate(t, []wantCase{
		mk("valid", validIngress, nil, "", ""),
		mk("only default backend", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules, i.Spec.Tls = nil, nil }, "", ""),
		mk("nothing to route", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules, i.Spec.DefaultBackend = nil, nil },
			"spec", "either `defaultBackend` or `rules` must be specified"),
		mk("class not a DNS name", validIngress, func(i *gantryv1.Ingress) { i.Spec.IngressClassName = proto.String("Gantry_1") },
			"spec.ingressClassName", "RFC 1123 subdomain"),
		mk("host is an IP", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules[0].Host = "10.0.0.1" },
			"spec.rules[0].host", "must be a DNS name, not an IP address"),
		mk("host bad", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules[0].Host = "a_b.example.com" },
			"spec.rules[0].host", "RFC 1123 subdomain"),
		mk("wildcard not leading", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules[1].Host = "a.*.example.com" },
			"spec.rules[1].host", "wildcard DNS-1123 subdomain"),
		mk("tls host bad", validIngress, func(i *gantryv1.Ingress) { i.Spec.Tls[0].Hosts[0] = "A.example.com" },
			"spec.tls[0].hosts[0]", "RFC 1123 subdomain"),
		mk("tls secret bad", validIngress, func(i *gantryv1.Ingress) { i.Spec.Tls[0].SecretName = "Certs!" },
			"spec.tls[0].secretName", "RFC 1123 subdomain"),
		mk("no paths", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules[0].Http.Paths = nil },
			"spec.rules[0].http.paths", "Required value"),
		mk("rule without http", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules[0].Http = nil }, "", ""),
		mk("pathType missing", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.PathType = "" }),
			"spec.rules[0].http.paths[0].pathType", "pathType must be specified"),
		mk("pathType bad", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.PathType = "Regex" }),
			"spec.rules[0].http.paths[0].pathType", `Unsupported value: "Regex"`),
		mk("relative path", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Path = "api" }),
			"spec.rules[0].http.paths[0].path", "must be an absolute path"),
		mk("empty Prefix path", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Path = "" }),
			"spec.rules[0].http.paths[0].path", "must be an absolute path"),
		mk("path with //", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Path = "/a//b" }),
			"spec.rules[0].http.paths[0].path", "must not contain '//'"),
		mk("path ending /..", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Path = "/a/.." }),
			"spec.rules[0].http.paths[0].path", "cannot end with '/..'"),
		mk("relative ImplementationSpecific path", validIngress, func(i *gantryv1.Ingress) { i.Spec.Rules[1].Http.Paths[0].Path = "x" },
			"spec.rules[1].http.paths[0].path", "must be an absolute path"),
		mk("no backend", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Backend = nil }),
			"spec.rules[0].http.paths[0].backend", "Required value"),
		mk("no backend service", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Backend.Service = nil }),
			"spec.rules[0].http.paths[0].backend.service", "a backend service must be specified"),
		mk("service name missing", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Backend.Service.Name = "" }),
			"spec.rules[0].http.paths[0].backend.service.name", "Required value"),
		mk("service name bad", validIngress, path(func(p *gantryv1.HTTPIngressPath) { p.Backend.Service.Name = "1web" }),
			"spec.rules[0].http.paths[0].backend.service.name", "DNS-1035 label"),
		mk("port missing", validIngress, port(func(p *gantryv1.ServiceBackendPort) { p.Number = 0 }),
			"spec.rules[0].http.paths[0].backend.service.port", "port name or number is required"),
		mk("port both", validIngress, port(func(p *gantryv1.ServiceBackendPort) { p.Name = "http" }),
			"spec.rules[0].http.paths[0].backend.service.port", "cannot set both port name & port number"),
		mk("port number too big", validIngress, port(func(p *gantryv1.ServiceBackendPort) { p.Number = 70000 }),
			"spec.rules[0].http.paths[0].backend.service.port.number", "must be between 1 and 65535"),
		mk("port name bad", validIngress, port(func(p *gantryv1.ServiceBackendPort) { p.Number, p.Name = 0, "http_port" }),
			"spec.rules[0].http.paths[0].backend.service.port.name", "must contain only alpha-numeric characters"),
		mk("default backend bad", validIngress, func(i *gantryv1.Ingress) { i.Spec.DefaultBackend.Service.Port = nil },
			"spec.defaultBackend.service.port", "port name or number is required"),
	})
}
