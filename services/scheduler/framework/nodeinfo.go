package framework

import (
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// NodeInfo is one node with the pods placed on it (bound and assumed) and
// what the plugins need precomputed. The cache owns NodeInfos and changes
// them under its lock; plugins only read them.
type NodeInfo struct {
	Name string
	// Node is nil while only pods naming this node are known.
	Node *gantryv1.Node

	// Ready: the Ready condition is "True". Unschedulable: spec.unschedulable.
	Ready, Unschedulable bool
	Labels               map[string]string
	// Taints are the NoSchedule and NoExecute taints, each with its
	// rejection status prepared.
	Taints      []NodeTaint
	Allocatable Resources

	// Requested sums the requests of the pods on the node (Pods counts
	// them); NonZeroMilliCPU and NonZeroMemory use the scoring defaults.
	Requested                      Resources
	NonZeroMilliCPU, NonZeroMemory int64
	UsedPorts                      UsedPorts
	// OwnerPods counts the pods on the node by controller owner uid.
	OwnerPods map[string]int32
}

// NodeTaint is a taint that repels pods, and the status that says so.
type NodeTaint struct {
	Taint  *gantryv1.Taint
	Status *Status
}

// NewNodeInfo returns an empty NodeInfo for the node called name.
func NewNodeInfo(name string) *NodeInfo {
	return &NodeInfo{Name: name, OwnerPods: map[string]int32{}}
}

// SetNode records node's properties (its pods are unaffected); nil clears
// them, leaving a placeholder for pods still on a deleted node.
func (n *NodeInfo) SetNode(node *gantryv1.Node) {
	n.Node = node
	n.Ready = isReady(node)
	n.Unschedulable = node.GetSpec().GetUnschedulable()
	n.Labels = node.GetMetadata().GetLabels()
	n.Taints = n.Taints[:0]
	for _, t := range node.GetSpec().GetTaints() {
		if t.GetEffect() == EffectNoSchedule || t.GetEffect() == EffectNoExecute {
			reason := fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.GetKey(), t.GetValue())
			n.Taints = append(n.Taints, NodeTaint{Taint: t, Status: NewStatus(TaintTolerationName, reason)})
		}
	}
	alloc := node.GetStatus().GetAllocatable()
	if alloc == nil {
		alloc = node.GetStatus().GetCapacity()
	}
	n.Allocatable = ParseResources(alloc)
}

func isReady(node *gantryv1.Node) bool {
	for _, c := range node.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() == "True"
		}
	}
	return false
}

// AddPod accounts for pi on the node.
func (n *NodeInfo) AddPod(pi *PodInfo) {
	n.Requested.Add(&pi.Requests)
	n.NonZeroMilliCPU += pi.NonZeroMilliCPU
	n.NonZeroMemory += pi.NonZeroMemory
	for _, p := range pi.HostPorts {
		n.UsedPorts.Add(p)
	}
	if pi.OwnerUID != "" {
		n.OwnerPods[pi.OwnerUID]++
	}
}

// RemovePod undoes AddPod(pi).
func (n *NodeInfo) RemovePod(pi *PodInfo) {
	n.Requested.Sub(&pi.Requests)
	n.NonZeroMilliCPU -= pi.NonZeroMilliCPU
	n.NonZeroMemory -= pi.NonZeroMemory
	for _, p := range pi.HostPorts {
		n.UsedPorts.Remove(p)
	}
	if pi.OwnerUID != "" {
		if n.OwnerPods[pi.OwnerUID]--; n.OwnerPods[pi.OwnerUID] <= 0 {
			delete(n.OwnerPods, pi.OwnerUID)
		}
	}
}

// PodCount returns the number of pods on the node.
func (n *NodeInfo) PodCount() int64 { return n.Requested.Pods }
