package nodelifecycle

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Condition values and the reasons this controller writes, in
// Kubernetes' words (the node agent stands in for the kubelet).
const (
	ConditionReady   = "Ready"
	StatusTrue       = "True"
	StatusFalse      = "False"
	StatusUnknown    = "Unknown"
	ReasonUnknown    = "NodeStatusUnknown"
	MessageUnknown   = "Node agent stopped posting node status."
	ReasonNeverSeen  = "NodeStatusNeverUpdated"
	MessageNeverSeen = "Node agent never posted node status."
)

// agentConditions are the conditions the node agent posts and so the
// ones that become Unknown when it goes quiet (NetworkUnavailable is
// about the network, as in Kubernetes, and stays).
var agentConditions = map[string]bool{ConditionReady: true, "MemoryPressure": true, "DiskPressure": true, "PIDPressure": true}

// readyCondition returns the node's Ready condition, or nil.
func readyCondition(n *gantryv1.Node) *gantryv1.Condition {
	for _, c := range n.GetStatus().GetConditions() {
		if c.GetType() == ConditionReady {
			return c
		}
	}
	return nil
}

// readyStatus returns the Ready condition's status ("" without one).
func readyStatus(n *gantryv1.Node) string { return readyCondition(n).GetStatus() }

// markedUnknown returns a copy of n whose agent conditions are Unknown
// since now; lastHeartbeatTime stays what the agent last wrote, so a
// change of it still means the agent spoke. A node without a Ready
// condition gets one.
func markedUnknown(n *gantryv1.Node, now *timestamppb.Timestamp) *gantryv1.Node {
	out := proto.Clone(n).(*gantryv1.Node)
	if out.Status == nil {
		out.Status = &gantryv1.NodeStatus{}
	}
	hasReady := false
	for _, c := range out.Status.Conditions {
		if !agentConditions[c.GetType()] {
			continue
		}
		hasReady = hasReady || c.GetType() == ConditionReady
		if c.GetStatus() != StatusUnknown {
			c.Status, c.LastTransitionTime = StatusUnknown, now
		}
		c.Reason, c.Message = ReasonUnknown, MessageUnknown
	}
	if !hasReady {
		out.Status.Conditions = append(out.Status.Conditions, &gantryv1.Condition{Type: ConditionReady, Status: StatusUnknown,
			Reason: ReasonNeverSeen, Message: MessageNeverSeen, LastTransitionTime: now})
	}
	return out
}
