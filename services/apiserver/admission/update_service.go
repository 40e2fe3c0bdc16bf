package admission

import (
	"slices"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// DefaultUpdate fills in, from the stored object old, what an update may
// leave out, as Kubernetes' service registry does: a manifest applied
// again carries no clusterIP or nodePorts, and must keep the ones the
// server allocated rather than read as a change. Run it after Default and
// before ValidateUpdate.
func DefaultUpdate(newObj, old *gantryv1.Object) {
	if n, o := newObj.GetService(), old.GetService(); n != nil && o != nil && n.Spec != nil {
		keepAllocated(n.Spec, o.GetSpec())
		dropNodePorts(n.Spec, o.GetSpec())
	}
}

// keepAllocated is Kubernetes' patchAllocatedValues.
func keepAllocated(n, o *gantryv1.ServiceSpec) {
	if n.ClusterIp == "" {
		n.ClusterIp = o.GetClusterIp()
	}
	// clusterIPs follows clusterIP when the user left it out or left it
	// as it was (Kubernetes' normalizeClusterIPs), so that changing the
	// address is reported as that, not as the two fields disagreeing.
	if n.ClusterIp != "" && (len(n.ClusterIps) == 0 || slices.Equal(n.ClusterIps, o.GetClusterIps())) {
		n.ClusterIps = []string{n.ClusterIp}
	}
	if !needsNodePorts(o.GetType()) || !needsNodePorts(n.GetType()) {
		return
	}
	// A node port the new spec already uses elsewhere is not patched in
	// again; ports are matched by name, which survives reordering.
	used := nodePortSet(o)
	inNew := nodePortSet(n)
	for np := range used {
		if !inNew[np] {
			delete(used, np)
		}
	}
	byName := map[string]int32{}
	for _, p := range o.GetPorts() {
		byName[p.GetName()] = p.GetNodePort()
	}
	for _, p := range n.GetPorts() {
		if old := byName[p.GetName()]; p != nil && p.NodePort == 0 && !used[old] {
			p.NodePort = old
		}
	}
}

// dropNodePorts is Kubernetes' dropTypeDependentFields: a Service leaving
// NodePort (or LoadBalancer) with its node ports untouched gives them up,
// so the store releases them; node ports the user changed stay, for
// validation to refuse.
func dropNodePorts(n, o *gantryv1.ServiceSpec) {
	if !needsNodePorts(o.GetType()) || needsNodePorts(n.GetType()) {
		return
	}
	a, b := nodePortSet(o), nodePortSet(n)
	if len(a) != len(b) {
		return
	}
	for np := range b {
		if !a[np] {
			return
		}
	}
	for _, p := range n.GetPorts() {
		if p != nil {
			p.NodePort = 0
		}
	}
}

func nodePortSet(spec *gantryv1.ServiceSpec) map[int32]bool {
	out := map[int32]bool{}
	for _, p := range spec.GetPorts() {
		if np := p.GetNodePort(); np != 0 {
			out[np] = true
		}
	}
	return out
}
