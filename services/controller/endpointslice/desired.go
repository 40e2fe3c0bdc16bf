package endpointslice

import (
	"net/netip"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// group is the desired endpoints that share one port mapping: they go
// into slices of their own, as in Kubernetes, since a slice has one port
// list for all its endpoints.
type group struct {
	ports     []*gantryv1.EndpointPort
	endpoints map[string]*gantryv1.Endpoint // by endpointKey
}

// desiredGroups returns the endpoints the pods give svc, by port key.
// pods must already match the selector.
func desiredGroups(svc *gantryv1.Service, pods []*gantryv1.Object) map[string]*group {
	out := map[string]*group{}
	r := newPortResolver(svc)
	for _, o := range pods {
		p := o.GetPod()
		ep := podEndpoint(svc, p)
		if ep == nil {
			continue
		}
		g := r.group(p, out)
		g.endpoints[endpointKey(ep)] = ep
	}
	return out
}

// portResolver finds a pod's group. Most Services name no container
// port, so every pod resolves to the same ports: those are built once.
// Otherwise pods are told apart by the port numbers they resolve to.
type portResolver struct {
	svc    *gantryv1.Service
	named  bool
	static *group
	byNums map[string]*group
	nums   []byte
}

func newPortResolver(svc *gantryv1.Service) *portResolver {
	r := &portResolver{svc: svc, byNums: map[string]*group{}}
	for _, sp := range svc.GetSpec().GetPorts() {
		if _, err := strconv.Atoi(sp.GetTargetPort()); sp.GetTargetPort() != "" && err != nil {
			r.named = true
		}
	}
	return r
}

func (r *portResolver) group(p *gantryv1.Pod, all map[string]*group) *group {
	if !r.named {
		if r.static == nil {
			r.static = r.add(podPorts(r.svc, p), all)
		}
		return r.static
	}
	r.nums = r.nums[:0]
	for _, sp := range r.svc.GetSpec().GetPorts() {
		n, _ := targetPort(sp, p)
		r.nums = strconv.AppendInt(r.nums, int64(n), 10)
		r.nums = append(r.nums, ',')
	}
	if g, ok := r.byNums[string(r.nums)]; ok {
		return g
	}
	g := r.add(podPorts(r.svc, p), all)
	r.byNums[string(r.nums)] = g
	return g
}

// add returns the group of ports in all, adding it when new.
func (r *portResolver) add(ports []*gantryv1.EndpointPort, all map[string]*group) *group {
	key := portKey(ports)
	g := all[key]
	if g == nil {
		g = &group{ports: ports, endpoints: map[string]*gantryv1.Endpoint{}}
		all[key] = g
	}
	return g
}

// podEndpoint returns the pod's endpoint, or nil when it has none: it is
// not scheduled, has no IPv4 address yet, or has finished.
func podEndpoint(svc *gantryv1.Service, p *gantryv1.Pod) *gantryv1.Endpoint {
	ip := p.GetStatus().GetPodIp()
	if p.GetSpec().GetNodeName() == "" || ip == "" || ctrl.IsPodTerminal(p) {
		return nil
	}
	if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() {
		return nil
	}
	m := p.GetMetadata()
	terminating := m.GetDeletionTimestamp() != nil
	serving := ctrl.IsPodReady(p) || svc.GetSpec().GetPublishNotReadyAddresses()
	// ready keeps its pre-terminating meaning: a pod on its way out gets
	// no new traffic, unless the service publishes every address.
	ready := serving && (!terminating || svc.GetSpec().GetPublishNotReadyAddresses())
	node := p.GetSpec().GetNodeName()
	ep := &gantryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: &gantryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &gantryv1.ObjectReference{Kind: apimeta.KindPod, Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid()},
		NodeName:   &node,
	}
	// Cluster DNS names a headless service's pods by hostname when they
	// ask for it (spec.subdomain is the service).
	if h := p.GetSpec().GetHostname(); h != "" && p.GetSpec().GetSubdomain() == svc.GetMetadata().GetName() {
		ep.Hostname = h
	}
	return ep
}

// podPorts resolves each service port on the pod: a number is taken as
// is; a name is looked up among the pod's container ports of the same
// protocol. Ports the pod cannot resolve are left out of its port list.
func podPorts(svc *gantryv1.Service, p *gantryv1.Pod) []*gantryv1.EndpointPort {
	sps := svc.GetSpec().GetPorts()
	out := make([]*gantryv1.EndpointPort, 0, len(sps))
	for _, sp := range sps {
		num, ok := targetPort(sp, p)
		if !ok {
			continue
		}
		name, protocol := sp.GetName(), protocolOf(sp.GetProtocol())
		ep := &gantryv1.EndpointPort{Name: &name, Protocol: &protocol, Port: &num}
		if ap := sp.GetAppProtocol(); ap != "" {
			ep.AppProtocol = &ap
		}
		out = append(out, ep)
	}
	return out
}

func targetPort(sp *gantryv1.ServicePort, p *gantryv1.Pod) (int32, bool) {
	tp := sp.GetTargetPort()
	if tp == "" {
		return validPort(int64(sp.GetPort()))
	}
	if n, err := strconv.ParseInt(tp, 10, 32); err == nil {
		return validPort(n)
	}
	protocol := protocolOf(sp.GetProtocol())
	for _, c := range p.GetSpec().GetContainers() {
		for _, cp := range c.GetPorts() {
			if cp.GetName() == tp && protocolOf(cp.GetProtocol()) == protocol {
				return validPort(int64(cp.GetContainerPort()))
			}
		}
	}
	return 0, false
}

func validPort(n int64) (int32, bool) {
	if n < 1 || n > 65535 {
		return 0, false
	}
	return int32(n), true
}

// protocolOf applies the API's default protocol.
func protocolOf(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}

// selects reports whether every selector pair is among the labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
