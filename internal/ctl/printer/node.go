package printer

import (
	"sort"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Role labels, as kubectl reads them.
const (
	labelNodeRolePrefix = "node-role.kubernetes.io/"
	labelNodeRole       = "kubernetes.io/role"
)

func nodeRow(o *gantryv1.Object, now time.Time, wide bool) []string {
	n := o.GetNode()
	roles := strings.Join(NodeRoles(n), ",")
	if roles == "" {
		roles = "<none>"
	}
	info := n.GetStatus().GetNodeInfo()
	row := []string{n.GetMetadata().GetName(), NodeStatus(n), roles,
		Since(n.GetMetadata().GetCreationTimestamp(), now), info.GetKubeletVersion()}
	if wide {
		row = append(row, NodeAddress(n, "InternalIP"), NodeAddress(n, "ExternalIP"),
			orUnknown(info.GetOsImage()), orUnknown(info.GetKernelVersion()),
			orUnknown(info.GetContainerRuntimeVersion()))
	}
	return row
}

// NodeStatus is kubectl's STATUS of a node: Ready, NotReady (the Ready
// condition is False or Unknown) or Unknown (no Ready condition yet), with
// ",SchedulingDisabled" when the node is cordoned.
func NodeStatus(n *gantryv1.Node) string {
	status := "Unknown"
	for _, c := range n.GetStatus().GetConditions() {
		if c.GetType() != "Ready" {
			continue
		}
		status = "NotReady"
		if c.GetStatus() == "True" {
			status = "Ready"
		}
	}
	if n.GetSpec().GetUnschedulable() {
		status += ",SchedulingDisabled"
	}
	return status
}

// NodeRoles are the roles a node's labels give it, sorted.
func NodeRoles(n *gantryv1.Node) []string {
	set := map[string]bool{}
	for k, v := range n.GetMetadata().GetLabels() {
		switch {
		case strings.HasPrefix(k, labelNodeRolePrefix):
			if r := strings.TrimPrefix(k, labelNodeRolePrefix); r != "" {
				set[r] = true
			}
		case k == labelNodeRole && v != "":
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// NodeAddress returns the node's first address of type typ, or "<none>".
func NodeAddress(n *gantryv1.Node, typ string) string {
	for _, a := range n.GetStatus().GetAddresses() {
		if a.GetType() == typ {
			return a.GetAddress()
		}
	}
	return "<none>"
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}
