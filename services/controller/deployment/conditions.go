package deployment

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/deployutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func newCondition(typ, status, reason, msg string, now time.Time) *gantryv1.Condition {
	ts := timestamppb.New(now)
	return &gantryv1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, LastUpdateTime: ts, LastTransitionTime: ts}
}

// setCondition puts c into st unless a condition of its type already has
// its status and reason; a change of reason alone keeps the transition
// time.
func setCondition(st *gantryv1.DeploymentStatus, c *gantryv1.Condition) {
	cur := deployutil.Condition(st.Conditions, c.GetType())
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
