package printer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func serviceRow(o *gantryv1.Object, now time.Time, wide bool) []string {
	s := o.GetService()
	spec := s.GetSpec()
	ip := spec.GetClusterIp()
	if ips := spec.GetClusterIps(); len(ips) > 0 {
		ip = ips[0]
	}
	ports := ServicePorts(spec.GetPorts())
	row := []string{s.GetMetadata().GetName(), ServiceType(spec), orNone(ip), serviceExternalIP(spec),
		orNone(ports), Since(s.GetMetadata().GetCreationTimestamp(), now)}
	if wide {
		row = append(row, labels.FormatLabels(spec.GetSelector()))
	}
	return row
}

// ServiceType is spec.type with its default, ClusterIP.
func ServiceType(spec *gantryv1.ServiceSpec) string {
	if spec.GetType() == "" {
		return "ClusterIP"
	}
	return spec.GetType()
}

// serviceExternalIP is what kubectl shows for the types Gantry has: no
// external IPs exist, so "<none>"; a LoadBalancer never gets one here.
func serviceExternalIP(spec *gantryv1.ServiceSpec) string {
	switch ServiceType(spec) {
	case "ClusterIP", "NodePort":
		return "<none>"
	case "LoadBalancer":
		return "<pending>"
	}
	return "<unknown>"
}

// ServicePorts is kubectl's PORT(S): "80/TCP", "80:30080/TCP", comma-separated.
func ServicePorts(ports []*gantryv1.ServicePort) string {
	out := make([]string, len(ports))
	for i, p := range ports {
		if p.GetNodePort() > 0 {
			out[i] = fmt.Sprintf("%d:%d/%s", p.GetPort(), p.GetNodePort(), protocol(p.GetProtocol()))
		} else {
			out[i] = fmt.Sprintf("%d/%s", p.GetPort(), protocol(p.GetProtocol()))
		}
	}
	return strings.Join(out, ",")
}

func protocol(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}

// endpointsShown is how many ports or addresses a cell lists before
// "+ N more...".
const endpointsShown = 3

func endpointSliceRow(o *gantryv1.Object, now time.Time, _ bool) []string {
	es := o.GetEndpointSlice()
	var ports, addrs []string
	for _, p := range es.GetPorts() {
		switch {
		case p.Port != nil:
			ports = append(ports, strconv.Itoa(int(p.GetPort())))
		case p.Name != nil:
			ports = append(ports, p.GetName())
		default:
			ports = append(ports, "*")
		}
	}
	for _, ep := range es.GetEndpoints() {
		addrs = append(addrs, ep.GetAddresses()...)
	}
	return []string{es.GetMetadata().GetName(), es.GetAddressType(), listWithMore(ports, endpointsShown),
		listWithMore(addrs, endpointsShown), Since(es.GetMetadata().GetCreationTimestamp(), now)}
}

// listWithMore is kubectl's listWithMoreString: the first max items, then
// "+ N more...", or "<unset>" for none.
func listWithMore(items []string, max int) string {
	if len(items) == 0 {
		return "<unset>"
	}
	if len(items) <= max {
		return strings.Join(items, ",")
	}
	return fmt.Sprintf("%s + %d more...", strings.Join(items[:max], ","), len(items)-max)
}
