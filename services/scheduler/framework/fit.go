package framework

import "sort"

// Bits of the fixed resources NodeResourcesFit reports.
const (
	insufficientPods = 1 << iota
	insufficientCPU
	insufficientMemory
)

// fitStatuses holds the prepared statuses for every combination of the
// fixed resources, indexed by their bits, in Kubernetes' order.
var fitStatuses = func() [8]*Status {
	var out [8]*Status
	for mask := 1; mask < 8; mask++ {
		out[mask] = NewStatus(NodeResourcesFitName, fitReasons(mask)...)
	}
	return out
}()

func fitReasons(mask int) []string {
	var r []string
	if mask&insufficientPods != 0 {
		r = append(r, "Too many pods")
	}
	if mask&insufficientCPU != 0 {
		r = append(r, "Insufficient cpu")
	}
	if mask&insufficientMemory != 0 {
		r = append(r, "Insufficient memory")
	}
	return r
}

// NodeResourcesFit rejects nodes whose allocatable resources, minus the
// requests of the pods already on them, cannot hold the pod's requests,
// and nodes at their pod count limit.
type NodeResourcesFit struct{}

// Name implements FilterPlugin.
func (NodeResourcesFit) Name() string { return NodeResourcesFitName }

// Filter implements FilterPlugin.
func (NodeResourcesFit) Filter(pod *PodInfo, node *NodeInfo) *Status {
	alloc, used, req := &node.Allocatable, &node.Requested, &pod.Requests
	mask := 0
	if used.Pods+1 > alloc.Pods {
		mask |= insufficientPods
	}
	if req.MilliCPU > 0 && req.MilliCPU > alloc.MilliCPU-used.MilliCPU {
		mask |= insufficientCPU
	}
	if req.Memory > 0 && req.Memory > alloc.Memory-used.Memory {
		mask |= insufficientMemory
	}
	if len(req.Scalar) > 0 {
		if missing := insufficientScalars(req, alloc, used); len(missing) > 0 {
			return NewStatus(NodeResourcesFitName, append(fitReasons(mask), missing...)...)
		}
	}
	return fitStatuses[mask]
}

// insufficientScalars lists "Insufficient <name>" for every scalar
// resource the node cannot hold, sorted.
func insufficientScalars(req, alloc, used *Resources) []string {
	var out []string
	for name, v := range req.Scalar {
		if v > 0 && v > alloc.Scalar[name]-used.Scalar[name] {
			out = append(out, "Insufficient "+name)
		}
	}
	sort.Strings(out)
	return out
}
