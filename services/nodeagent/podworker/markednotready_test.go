package podworker

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/taints"
)

func readyStatus(status, reason string) *gantryv1.PodStatus {
	return &gantryv1.PodStatus{Conditions: []*gantryv1.Condition{
		{Type: "ContainersReady", Status: status}, {Type: "Ready", Status: status, Reason: reason}}}
}

func TestMarkedNotReady(t *testing.T) {
	marked := readyStatus("False", taints.PodNotReadyReason)
	for _, c := range []struct {
		name          string
		stored, ours  *gantryv1.PodStatus
		mustWriteOurs bool
	}{
		{"controller marked it, the agent sees it ready", marked, readyStatus("True", ""), true},
		{"controller marked it, the agent sees containers not ready", marked, readyStatus("False", "ContainersNotReady"), true},
		{"stored is the agent's own", readyStatus("True", ""), readyStatus("True", ""), false},
		{"stored not ready for the agent's reason", readyStatus("False", "ContainersNotReady"), readyStatus("True", ""), false},
		{"no status stored yet", nil, readyStatus("True", ""), false},
	} {
		if got := markedNotReady(c.stored, c.ours); got != c.mustWriteOurs {
			t.Errorf("%s: markedNotReady = %v, want %v", c.name, got, c.mustWriteOurs)
		}
	}
}
