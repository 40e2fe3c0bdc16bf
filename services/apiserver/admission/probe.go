package admission

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type probeKind int

const (
	liveness probeKind = iota
	readiness
	startup
)

// validateProbe checks one probe; nil means the container has none.
func validateProbe(pr *gantryv1.Probe, p *field.Path, kind probeKind) field.ErrorList {
	if pr == nil {
		return nil
	}
	errs := validateHandler(pr, p)
	errs = append(errs, nonNegative(p.Child("initialDelaySeconds"), pr.GetInitialDelaySeconds())...)
	errs = append(errs, nonNegative(p.Child("timeoutSeconds"), pr.GetTimeoutSeconds())...)
	errs = append(errs, nonNegative(p.Child("periodSeconds"), pr.GetPeriodSeconds())...)
	errs = append(errs, nonNegative(p.Child("successThreshold"), pr.GetSuccessThreshold())...)
	errs = append(errs, nonNegative(p.Child("failureThreshold"), pr.GetFailureThreshold())...)
	// A liveness or startup probe that needs several successes would keep
	// a healthy container "failing"; Kubernetes pins the threshold to 1.
	if kind != readiness && pr.GetSuccessThreshold() > 1 {
		errs = append(errs, field.Invalid(p.Child("successThreshold"), pr.GetSuccessThreshold(), "must be 1"))
	}
	if pr.TerminationGracePeriodSeconds != nil {
		tp := p.Child("terminationGracePeriodSeconds")
		switch {
		case kind == readiness:
			errs = append(errs, field.Invalid(tp, *pr.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
		case *pr.TerminationGracePeriodSeconds <= 0:
			errs = append(errs, field.Invalid(tp, *pr.TerminationGracePeriodSeconds, "must be greater than 0"))
		}
	}
	return errs
}

// validateHandler requires exactly one of exec, httpGet, tcpSocket and grpc.
func validateHandler(pr *gantryv1.Probe, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	if e := pr.GetExec(); e != nil {
		n++
		if len(e.GetCommand()) == 0 {
			errs = append(errs, field.Required(p.Child("exec", "command"), ""))
		}
	}
	if h := pr.GetHttpGet(); h != nil {
		n++
		if n > 1 {
			errs = append(errs, field.Forbidden(p.Child("httpGet"), "may not specify more than 1 handler type"))
		}
		errs = append(errs, validateHTTPGet(h, p.Child("httpGet"))...)
	}
	if t := pr.GetTcpSocket(); t != nil {
		n++
		if n > 1 {
			errs = append(errs, field.Forbidden(p.Child("tcpSocket"), "may not specify more than 1 handler type"))
		}
		errs = append(errs, validatePortNumOrName(t.GetPort(), p.Child("tcpSocket", "port"))...)
	}
	if g := pr.GetGrpc(); g != nil {
		n++
		if n > 1 {
			errs = append(errs, field.Forbidden(p.Child("grpc"), "may not specify more than 1 handler type"))
		}
		errs = append(errs, invalid(p.Child("grpc", "port"), g.GetPort(), validation.IsValidPortNum(int(g.GetPort())))...)
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "must specify a handler type"))
	}
	return errs
}

func validateHTTPGet(h *gantryv1.HTTPGetAction, p *field.Path) field.ErrorList {
	errs := validatePortNumOrName(h.GetPort(), p.Child("port"))
	errs = append(errs, notSupported(p.Child("scheme"), h.GetScheme(), "HTTP", "HTTPS")...)
	for i, hdr := range h.GetHttpHeaders() {
		errs = append(errs, invalid(p.Child("httpHeaders").Index(i).Child("name"), hdr.GetName(),
			validation.IsHTTPHeaderName(hdr.GetName()))...)
	}
	return errs
}

// validatePortNumOrName checks a port given as a number or as the name of
// a container port.
func validatePortNumOrName(port string, p *field.Path) field.ErrorList {
	if port == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	v := parseIntOrString(port)
	if v.Type == intstr.Int {
		return invalid(p, v.IntVal, validation.IsValidPortNum(int(v.IntVal)))
	}
	return invalid(p, port, validation.IsValidPortName(port))
}
