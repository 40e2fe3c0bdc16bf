package deployment

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Condition types and reasons, as Kubernetes names them.
const (
	CondAvailable      = "Available"
	CondProgressing    = "Progressing"
	CondReplicaFailure = "ReplicaFailure"

	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
	ReasonNewRSAvailable             = "NewReplicaSetAvailable"
	ReasonReplicaSetUpdated          = "ReplicaSetUpdated"
	ReasonProgressDeadlineExceeded   = "ProgressDeadlineExceeded"
	ReasonPaused                     = "DeploymentPaused"
	ReasonResumed                    = "DeploymentResumed"
)

func newCondition(typ, status, reason, msg string, now time.Time) *gantryv1.Condition {
	ts := timestamppb.New(now)
	return &gantryv1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, LastUpdateTime: ts, LastTransitionTime: ts}
}

func getCondition(conds []*gantryv1.Condition, typ string) *gantryv1.Condition {
	for _, c := range conds {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}

// setCondition puts c into st unless a condition of its type already has
// its status and reason; a change of reason alone keeps the transition
// time.
func setCondition(st *gantryv1.DeploymentStatus, c *gantryv1.Condition) {
	cur := getCondition(st.Conditions, c.GetType())
	if cur != nil && cur.GetStatus() == c.GetStatus() && cur.GetReason() == c.GetReason() {
		return
	}
	if cur != nil && cur.GetStatus() == c.GetStatus() {
		c.LastTransitionTime = cur.GetLastTransitionTime()
	}
	removeCondition(st, c.GetType())
	st.Conditions = append(st.Conditions, c)
}

func removeCondition(st *gantryv1.DeploymentStatus, typ string) {
	out := st.Conditions[:0:0]
	for _, c := range st.Conditions {
		if c.GetType() != typ {
			out = append(out, c)
		}
	}
	st.Conditions = out
}

func cloneConditions(cs []*gantryv1.Condition) []*gantryv1.Condition {
	out := make([]*gantryv1.Condition, len(cs))
	for i, c := range cs {
		out[i] = proto.Clone(c).(*gantryv1.Condition)
	}
	return out
}
