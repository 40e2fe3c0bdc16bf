package deployment

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gantryio/gantry/internal/events"
)

// A rolling update records each ReplicaSet size change, as Kubernetes'
// ScalingReplicaSet events.
func TestScalingIsRecorded(t *testing.T) {
	w := newWorld(t)
	rec := events.NewFake(1000)
	w.dc.rec = rec
	w.w.Seed(newDeployment("web", 4, "v1"))
	w.runUntilComplete("web", 20)
	first := w.rsList()[0].GetMetadata().GetName()
	if got := rec.Drain(); fmt.Sprint(got) != fmt.Sprintf("[Normal ScalingReplicaSet Scaled up replica set %s from 0 to 4]", first) {
		t.Fatalf("after creating: %q", got)
	}
	w.setImage("web", "v2")
	w.runUntilComplete("web", 40)
	var second string
	for _, rs := range w.rsList() {
		if rs.GetMetadata().GetName() != first {
			second = rs.GetMetadata().GetName()
		}
	}
	got := rec.Drain()
	// 25% surge and unavailability of 4: the new one starts at 1, the old
	// one ends at 0, every event a real change.
	for _, want := range []string{
		fmt.Sprintf("Normal ScalingReplicaSet Scaled up replica set %s from 0 to 1", second),
		fmt.Sprintf("Normal ScalingReplicaSet Scaled down replica set %s from 1 to 0", first),
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	for _, e := range got {
		var dir, name string
		var from, to int
		if _, err := fmt.Sscanf(strings.TrimPrefix(e, "Normal ScalingReplicaSet "), "Scaled %s replica set %s from %d to %d", &dir, &name, &from, &to); err != nil ||
			from == to || (dir == "up") != (to > from) {
			t.Errorf("event %q: not a real scaling", e)
		}
	}
}
