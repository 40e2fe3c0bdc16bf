package describe

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/printer"
)

// endpointsShown is how many endpoints a service's port lists before
// "+ N more...".
const endpointsShown = 3

func (d *describer) service(s *gantryv1.Service) {
	m, spec := s.GetMetadata(), s.GetSpec()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "CreationTimestamp:\t%s\n", d.stamp(m.GetCreationTimestamp()))
	d.w.write(level0, "Selector:\t%s\n", mapSelector(spec.GetSelector()))
	d.w.write(level0, "Type:\t%s\n", printer.ServiceType(spec))
	d.w.write(level0, "IP:\t%s\n", spec.GetClusterIp())
	if len(spec.GetClusterIps()) > 0 {
		d.w.write(level0, "IPs:\t%s\n", strings.Join(spec.GetClusterIps(), ","))
	}
	slices := d.owned(apimeta.KindEndpointSlice)
	for _, p := range spec.GetPorts() {
		name := orUnset(p.GetName())
		proto := p.GetProtocol()
		if proto == "" {
			proto = "TCP"
		}
		d.w.write(level0, "Port:\t%s\t%d/%s\n", name, p.GetPort(), proto)
		target := p.GetTargetPort()
		if target == "" {
			target = strconv.Itoa(int(p.GetPort()))
		}
		d.w.write(level0, "TargetPort:\t%s/%s\n", target, proto)
		if p.GetNodePort() != 0 {
			d.w.write(level0, "NodePort:\t%s\t%d/%s\n", name, p.GetNodePort(), proto)
		}
		d.w.write(level0, "Endpoints:\t%s\n", endpointsFor(slices, p.GetName()))
	}
	d.w.write(level0, "Session Affinity:\t%s\n", orDefault(spec.GetSessionAffinity(), "None"))
	if spec.GetPublishNotReadyAddresses() {
		d.w.write(level0, "Publish Not Ready Addresses:\ttrue\n")
	}
}

// endpointsFor lists "ip:port" of the ready endpoints of the slices'
// port named portName, as kubectl's formatEndpointSlices does.
func endpointsFor(slices []*gantryv1.Object, portName string) string {
	var list []string
	for _, o := range slices {
		es := o.GetEndpointSlice()
		for _, p := range es.GetPorts() {
			if p.GetName() != portName {
				continue
			}
			for _, ep := range es.GetEndpoints() {
				if len(ep.GetAddresses()) == 0 || (ep.GetConditions().Ready != nil && !ep.GetConditions().GetReady()) {
					continue
				}
				addr := ep.GetAddresses()[0]
				if p.Port != nil {
					addr = net.JoinHostPort(addr, strconv.Itoa(int(p.GetPort())))
				}
				list = append(list, addr)
			}
		}
	}
	switch {
	case len(list) == 0:
		return "<none>"
	case len(list) > endpointsShown:
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:endpointsShown], ","), len(list)-endpointsShown)
	}
	return strings.Join(list, ",")
}

func (d *describer) endpointSlice(es *gantryv1.EndpointSlice) {
	m := es.GetMetadata()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "CreationTimestamp:\t%s\n", d.stamp(m.GetCreationTimestamp()))
	d.controller(m)
	d.w.write(level0, "AddressType:\t%s\n", es.GetAddressType())
	if len(es.GetPorts()) == 0 {
		d.w.write(level0, "Ports: <unset>\n")
	} else {
		d.w.write(level0, "Ports:\n")
		d.w.write(level1, "Name\tPort\tProtocol\n")
		d.w.write(level1, "----\t----\t--------\n")
		for _, p := range es.GetPorts() {
			port := "<unset>"
			if p.Port != nil {
				port = strconv.Itoa(int(p.GetPort()))
			}
			d.w.write(level1, "%s\t%s\t%s\n", orUnset(p.GetName()), port, orDefault(p.GetProtocol(), "TCP"))
		}
	}
	if len(es.GetEndpoints()) == 0 {
		d.w.write(level0, "Endpoints: <none>\n")
		return
	}
	d.w.write(level0, "Endpoints:\n")
	for _, ep := range es.GetEndpoints() {
		d.w.write(level1, "- Addresses:\t%s\n", orNone(strings.Join(ep.GetAddresses(), ", ")))
		d.w.write(level2, "Conditions:\n")
		d.w.write(level3, "Ready:\t%s\n", optBool(ep.GetConditions().Ready))
		d.w.write(level2, "Hostname:\t%s\n", orUnset(ep.GetHostname()))
		if r := ep.GetTargetRef(); r != nil {
			d.w.write(level2, "TargetRef:\t%s/%s\n", r.GetKind(), r.GetName())
		}
		d.w.write(level2, "NodeName:\t%s\n", orUnset(ep.GetNodeName()))
	}
}

func optBool(b *bool) string {
	if b == nil {
		return "<unset>"
	}
	return strconv.FormatBool(*b)
}
