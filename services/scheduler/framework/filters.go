package framework

// FilterPlugin decides whether a pod may run on a node. Filter returns nil
// when it may, and a (shared, prepared) Status saying why not otherwise.
// Filters must not allocate on the success path.
type FilterPlugin interface {
	Name() string
	Filter(pod *PodInfo, node *NodeInfo) *Status
}

// Prepared rejections of the filters with fixed wording (Kubernetes').
var (
	statusUnschedulable = NewStatus(NodeUnschedulableName, "node(s) were unschedulable")
	statusNotReady      = NewStatus(NodeReadyName, "node(s) were not ready")
	statusSelector      = NewStatus(NodeSelectorName, "node(s) didn't match Pod's node affinity/selector")
	statusPorts         = NewStatus(NodePortsName, "node(s) didn't have free ports for the requested pod ports")
)

// NodeUnschedulable rejects nodes with spec.unschedulable, unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
type NodeUnschedulable struct{}

// Name implements FilterPlugin.
func (NodeUnschedulable) Name() string { return NodeUnschedulableName }

// Filter implements FilterPlugin.
func (NodeUnschedulable) Filter(pod *PodInfo, node *NodeInfo) *Status {
	if node.Unschedulable && !pod.TolerateUnschedulable {
		return statusUnschedulable
	}
	return nil
}

// NodeReady rejects nodes whose Ready condition is not "True", unless the
// pod tolerates the node.kubernetes.io/not-ready:NoSchedule taint.
type NodeReady struct{}

// Name implements FilterPlugin.
func (NodeReady) Name() string { return NodeReadyName }

// Filter implements FilterPlugin.
func (NodeReady) Filter(pod *PodInfo, node *NodeInfo) *Status {
	if !node.Ready && !pod.TolerateNotReady {
		return statusNotReady
	}
	return nil
}

// TaintToleration rejects nodes with a NoSchedule or NoExecute taint the
// pod does not tolerate; the status names the first such taint.
type TaintToleration struct{}

// Name implements FilterPlugin.
func (TaintToleration) Name() string { return TaintTolerationName }

// Filter implements FilterPlugin.
func (TaintToleration) Filter(pod *PodInfo, node *NodeInfo) *Status {
	for i := range node.Taints {
		if !Tolerates(pod.Pod.GetSpec().GetTolerations(), node.Taints[i].Taint) {
			return node.Taints[i].Status
		}
	}
	return nil
}

// NodeSelector rejects nodes whose labels lack one of the pod's
// spec.nodeSelector pairs.
type NodeSelector struct{}

// Name implements FilterPlugin.
func (NodeSelector) Name() string { return NodeSelectorName }

// Filter implements FilterPlugin.
func (NodeSelector) Filter(pod *PodInfo, node *NodeInfo) *Status {
	for k, v := range pod.Pod.GetSpec().GetNodeSelector() {
		if got, ok := node.Labels[k]; !ok || got != v {
			return statusSelector
		}
	}
	return nil
}

// NodePorts rejects nodes where a host port the pod needs is taken.
type NodePorts struct{}

// Name implements FilterPlugin.
func (NodePorts) Name() string { return NodePortsName }

// Filter implements FilterPlugin.
func (NodePorts) Filter(pod *PodInfo, node *NodeInfo) *Status {
	for _, p := range pod.HostPorts {
		if node.UsedPorts.Conflicts(p) {
			return statusPorts
		}
	}
	return nil
}
