package serviceenv

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// FromServices returns the variables of services, in the order given,
// exactly as the kubelet's envvars.FromServices: for a Service "web" with
// cluster IP 10.96.0.20 and port 80/TCP named http,
//
//	WEB_SERVICE_HOST=10.96.0.20
//	WEB_SERVICE_PORT=80
//	WEB_SERVICE_PORT_HTTP=80
//	WEB_PORT=tcp://10.96.0.20:80
//	WEB_PORT_80_TCP=tcp://10.96.0.20:80
//	WEB_PORT_80_TCP_PROTO=tcp
//	WEB_PORT_80_TCP_PORT=80
//	WEB_PORT_80_TCP_ADDR=10.96.0.20
//
// Services without a cluster IP (headless, or not allocated) have none.
func FromServices(services []*gantryv1.Service) []*gantryv1.EnvVar {
	var out []*gantryv1.EnvVar
	add := func(name, value string) { out = append(out, &gantryv1.EnvVar{Name: name, Value: value}) }
	for _, svc := range services {
		spec := svc.GetSpec()
		ip := spec.GetClusterIp()
		if !hasClusterIP(svc) || len(spec.GetPorts()) == 0 {
			continue
		}
		prefix := VarName(svc.GetMetadata().GetName())
		add(prefix+"_SERVICE_HOST", ip)
		portVar := prefix + "_SERVICE_PORT"
		add(portVar, itoa(spec.GetPorts()[0].GetPort()))
		for _, p := range spec.GetPorts() {
			if p.GetName() != "" {
				add(portVar+"_"+VarName(p.GetName()), itoa(p.GetPort()))
			}
		}
		for i, p := range spec.GetPorts() {
			proto := p.GetProtocol()
			if proto == "" {
				proto = "TCP"
			}
			url := fmt.Sprintf("%s://%s", strings.ToLower(proto), net.JoinHostPort(ip, itoa(p.GetPort())))
			if i == 0 {
				// Docker links special-case the first port.
				add(prefix+"_PORT", url)
			}
			pp := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.GetPort(), strings.ToUpper(proto))
			add(pp, url)
			add(pp+"_PROTO", strings.ToLower(proto))
			add(pp+"_PORT", itoa(p.GetPort()))
			add(pp+"_ADDR", ip)
		}
	}
	return out
}

// VarName is the kubelet's makeEnvVariableName: upper case, dashes to
// underscores ("my-web" -> "MY_WEB").
func VarName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

// hasClusterIP is Kubernetes' IsServiceIPSet.
func hasClusterIP(svc *gantryv1.Service) bool {
	ip := svc.GetSpec().GetClusterIp()
	return ip != "" && ip != "None"
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
