package printer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// ingressHostsShown and loadBalancerWidth are kubectl's limits for the
// HOSTS and ADDRESS cells.
const (
	ingressHostsShown = 4
	loadBalancerWidth = 16
)

func ingressRow(o *gantryv1.Object, now time.Time, wide bool) []string {
	ing := o.GetIngress()
	spec := ing.GetSpec()
	class := "<none>"
	if spec != nil && spec.IngressClassName != nil {
		class = spec.GetIngressClassName()
	}
	return []string{ing.GetMetadata().GetName(), class, ingressHosts(spec.GetRules()),
		ingressAddress(ing.GetStatus().GetLoadBalancer(), wide), ingressPorts(ing),
		Since(ing.GetMetadata().GetCreationTimestamp(), now)}
}

// ingressHosts is kubectl's formatHosts: up to four hosts, "*" when no
// rule names one.
func ingressHosts(rules []*gantryv1.IngressRule) string {
	var hosts []string
	for _, r := range rules {
		if len(hosts) == ingressHostsShown {
			return fmt.Sprintf("%s + %d more...", strings.Join(hosts, ","), len(rules)-ingressHostsShown)
		}
		if r.GetHost() != "" {
			hosts = append(hosts, r.GetHost())
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	return strings.Join(hosts, ",")
}

// ingressAddress lists the distinct IPs (or hostnames) the controller
// reports, sorted, cut to kubectl's width unless wide.
func ingressAddress(lb *gantryv1.IngressLoadBalancerStatus, wide bool) string {
	var addrs []string
	for _, in := range lb.GetIngress() {
		a := in.GetIp()
		if a == "" {
			a = in.GetHostname()
		}
		if a != "" && !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	slices.Sort(addrs)
	r := strings.Join(addrs, ",")
	if !wide && len(r) > loadBalancerWidth {
		r = r[:loadBalancerWidth-3] + "..."
	}
	return r
}

// ingressPorts shows the ports the controller reports it serves on; until
// it reports any, kubectl's "80" or "80, 443" (with TLS).
func ingressPorts(ing *gantryv1.Ingress) string {
	var ports []string
	for _, in := range ing.GetStatus().GetLoadBalancer().GetIngress() {
		for _, p := range in.GetPorts() {
			if s := strconv.Itoa(int(p.GetPort())); !slices.Contains(ports, s) {
				ports = append(ports, s)
			}
		}
	}
	if len(ports) > 0 {
		return strings.Join(ports, ", ")
	}
	if len(ing.GetSpec().GetTls()) > 0 {
		return "80, 443"
	}
	return "80"
}
