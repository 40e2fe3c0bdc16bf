package framework

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// Well-known taints a pod may tolerate to pass the NodeUnschedulable and
// NodeReady filters, as in Kubernetes.
const (
	TaintNodeUnschedulable = "node.kubernetes.io/unschedulable"
	TaintNodeNotReady      = "node.kubernetes.io/not-ready"
)

// Taint effects.
const (
	EffectNoSchedule       = "NoSchedule"
	EffectPreferNoSchedule = "PreferNoSchedule"
	EffectNoExecute        = "NoExecute"
)

// PodInfo is a pod with what the plugins need precomputed. It is immutable
// once built; build a new one when the pod changes.
type PodInfo struct {
	Pod *gantryv1.Pod
	// Key is namespace/name.
	Key string
	UID string
	// Requests sums the containers' requests (a container's limit stands
	// in for a missing request, as in Kubernetes); Pods is 1.
	Requests Resources
	// NonZeroMilliCPU and NonZeroMemory are the requests with Kubernetes'
	// defaults for containers that request nothing (used for scoring).
	NonZeroMilliCPU, NonZeroMemory int64
	// HostPorts are the host ports the pod needs.
	HostPorts []HostPort
	// OwnerUID is the uid of the pod's controller owner ("" if none).
	OwnerUID string
	// Priority orders the queue: higher first.
	Priority int32
	// TolerateUnschedulable and TolerateNotReady say whether the pod
	// tolerates the unschedulable and not-ready NoSchedule taints.
	TolerateUnschedulable, TolerateNotReady bool
}

// NewPodInfo precomputes pod's scheduling facts.
func NewPodInfo(pod *gantryv1.Pod) *PodInfo {
	m := pod.GetMetadata()
	spec := pod.GetSpec()
	pi := &PodInfo{
		Pod:      pod,
		Key:      apimeta.Key(m.GetNamespace(), m.GetName()),
		UID:      m.GetUid(),
		OwnerUID: controllerUID(m),
		Priority: spec.GetPriority(),
	}
	pi.Requests.Pods = 1
	for _, c := range spec.GetContainers() {
		pi.addContainer(c, spec.GetHostNetwork())
	}
	unsched := &gantryv1.Taint{Key: TaintNodeUnschedulable, Effect: EffectNoSchedule}
	notReady := &gantryv1.Taint{Key: TaintNodeNotReady, Effect: EffectNoSchedule}
	pi.TolerateUnschedulable = Tolerates(spec.GetTolerations(), unsched)
	pi.TolerateNotReady = Tolerates(spec.GetTolerations(), notReady)
	return pi
}

func (pi *PodInfo) addContainer(c *gantryv1.Container, hostNetwork bool) {
	var r Resources
	req, lim := c.GetResources().GetRequests(), c.GetResources().GetLimits()
	for name, v := range req {
		r.addQuantity(name, v)
	}
	for name, v := range lim {
		if _, ok := req[name]; !ok {
			r.addQuantity(name, v)
		}
	}
	pi.Requests.Add(&r)
	cpu, mem := r.MilliCPU, r.Memory
	if _, ok := req[ResourceCPU]; !ok && lim[ResourceCPU] == "" {
		cpu = DefaultMilliCPURequest
	}
	if _, ok := req[ResourceMemory]; !ok && lim[ResourceMemory] == "" {
		mem = DefaultMemoryRequest
	}
	pi.NonZeroMilliCPU += cpu
	pi.NonZeroMemory += mem
	for _, p := range c.GetPorts() {
		hp := p.GetHostPort()
		if hostNetwork && hp == 0 {
			hp = p.GetContainerPort() // Kubernetes defaults hostPort so
		}
		if hp > 0 {
			pi.HostPorts = append(pi.HostPorts, NewHostPort(p.GetHostIp(), p.GetProtocol(), hp))
		}
	}
}

// controllerUID returns the uid of the owner reference marked controller.
func controllerUID(m *gantryv1.ObjectMeta) string {
	for _, o := range m.GetOwnerReferences() {
		if o.GetController() {
			return o.GetUid()
		}
	}
	return ""
}

// Tolerates reports whether any toleration tolerates taint, with
// Kubernetes' matching rules.
func Tolerates(tolerations []*gantryv1.Toleration, taint *gantryv1.Taint) bool {
	for _, t := range tolerations {
		if toleratesOne(t, taint) {
			return true
		}
	}
	return false
}

func toleratesOne(t *gantryv1.Toleration, taint *gantryv1.Taint) bool {
	if t.GetEffect() != "" && t.GetEffect() != taint.GetEffect() {
		return false
	}
	if t.GetKey() != "" && t.GetKey() != taint.GetKey() {
		return false
	}
	switch t.GetOperator() {
	case "", "Equal":
		return t.GetValue() == taint.GetValue()
	case "Exists":
		return true
	}
	return false
}
