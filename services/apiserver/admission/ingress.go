package admission

import (
	"net"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Path types of networking.k8s.io/v1.
const (
	pathTypeExact                  = "Exact"
	pathTypePrefix                 = "Prefix"
	pathTypeImplementationSpecific = "ImplementationSpecific"
)

// invalidPathSequences and invalidPathSuffixes are Kubernetes' rules for
// Exact and Prefix paths: a path a proxy would normalise differently from
// the one written would route somewhere the author did not mean.
var (
	invalidPathSequences = []string{"//", "/./", "/../", "%2f", "%2F"}
	invalidPathSuffixes  = []string{"/..", "/."}
)

func validateIngress(ing *gantryv1.Ingress) field.ErrorList {
	spec, p := ing.GetSpec(), field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.GetRules()) == 0 && spec.GetDefaultBackend() == nil {
		errs = append(errs, field.Invalid(p, "", "either `defaultBackend` or `rules` must be specified"))
	}
	if spec != nil && spec.IngressClassName != nil {
		c := spec.GetIngressClassName()
		errs = append(errs, invalid(p.Child("ingressClassName"), c, validation.IsDNS1123Subdomain(c))...)
	}
	if b := spec.GetDefaultBackend(); b != nil {
		errs = append(errs, validateIngressBackend(b, p.Child("defaultBackend"))...)
	}
	for i, tls := range spec.GetTls() {
		errs = append(errs, validateIngressTLS(tls, p.Child("tls").Index(i))...)
	}
	for i, r := range spec.GetRules() {
		errs = append(errs, validateIngressRule(r, p.Child("rules").Index(i))...)
	}
	return errs
}

func validateIngressTLS(tls *gantryv1.IngressTLS, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, h := range tls.GetHosts() {
		errs = append(errs, validateIngressHost(h, p.Child("hosts").Index(i))...)
	}
	if s := tls.GetSecretName(); s != "" {
		errs = append(errs, invalid(p.Child("secretName"), s, validation.IsDNS1123Subdomain(s))...)
	}
	return errs
}

func validateIngressRule(r *gantryv1.IngressRule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if h := r.GetHost(); h != "" {
		errs = append(errs, validateIngressHost(h, p.Child("host"))...)
	}
	if r.GetHttp() == nil {
		return errs
	}
	pp := p.Child("http", "paths")
	if len(r.GetHttp().GetPaths()) == 0 {
		return append(errs, field.Required(pp, ""))
	}
	for i, path := range r.GetHttp().GetPaths() {
		errs = append(errs, validateIngressPath(path, pp.Index(i))...)
	}
	return errs
}

// validateIngressHost: a DNS name (a leading "*." label is a wildcard),
// never an IP address, as Kubernetes requires.
func validateIngressHost(h string, p *field.Path) field.ErrorList {
	if net.ParseIP(h) != nil {
		return field.ErrorList{field.Invalid(p, h, "must be a DNS name, not an IP address")}
	}
	if strings.Contains(h, "*") {
		return invalid(p, h, validation.IsWildcardDNS1123Subdomain(h))
	}
	return invalid(p, h, validation.IsDNS1123Subdomain(h))
}

func validateIngressPath(hp *gantryv1.HTTPIngressPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	path, pt := hp.GetPath(), hp.GetPathType()
	switch pt {
	case "":
		errs = append(errs, field.Required(p.Child("pathType"), "pathType must be specified"))
	case pathTypeExact, pathTypePrefix:
		errs = append(errs, validateStrictPath(path, p.Child("path"))...)
	case pathTypeImplementationSpecific:
		if path != "" && !strings.HasPrefix(path, "/") {
			errs = append(errs, field.Invalid(p.Child("path"), path, "must be an absolute path"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("pathType"), pt,
			[]string{pathTypeExact, pathTypePrefix, pathTypeImplementationSpecific}))
	}
	if hp.GetBackend() == nil {
		return append(errs, field.Required(p.Child("backend"), ""))
	}
	return append(errs, validateIngressBackend(hp.GetBackend(), p.Child("backend"))...)
}

func validateStrictPath(path string, p *field.Path) field.ErrorList {
	if !strings.HasPrefix(path, "/") {
		return field.ErrorList{field.Invalid(p, path, "must be an absolute path")}
	}
	for _, seq := range invalidPathSequences {
		if strings.Contains(path, seq) {
			return field.ErrorList{field.Invalid(p, path, "must not contain '"+seq+"'")}
		}
	}
	for _, suf := range invalidPathSuffixes {
		if strings.HasSuffix(path, suf) {
			return field.ErrorList{field.Invalid(p, path, "cannot end with '"+suf+"'")}
		}
	}
	return nil
}

// validateIngressBackend: a service in the ingress's namespace and one of
// its ports, by name or by number but not both.
func validateIngressBackend(b *gantryv1.IngressBackend, p *field.Path) field.ErrorList {
	svc, sp := b.GetService(), p.Child("service")
	if svc == nil {
		return field.ErrorList{field.Required(sp, "a backend service must be specified")}
	}
	var errs field.ErrorList
	if n := svc.GetName(); n == "" {
		errs = append(errs, field.Required(sp.Child("name"), ""))
	} else {
		errs = append(errs, invalid(sp.Child("name"), n, validation.IsDNS1035Label(n))...)
	}
	port, pp := svc.GetPort(), sp.Child("port")
	switch {
	case port.GetName() == "" && port.GetNumber() == 0:
		errs = append(errs, field.Required(pp, "port name or number is required"))
	case port.GetName() != "" && port.GetNumber() != 0:
		errs = append(errs, field.Invalid(pp, port.GetName(), "cannot set both port name & port number"))
	case port.GetName() != "":
		errs = append(errs, invalid(pp.Child("name"), port.GetName(), validation.IsValidPortName(port.GetName()))...)
	default:
		errs = append(errs, invalid(pp.Child("number"), port.GetNumber(), validation.IsValidPortNum(int(port.GetNumber())))...)
	}
	return errs
}
