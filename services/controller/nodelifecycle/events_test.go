package nodelifecycle

import (
	"fmt"
	"testing"

	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/taints"
)

func TestNotReadyAndEvictionsAreRecorded(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	rec := events.NewFake(100)
	f.c.rec = rec
	f.addPod("gone", "n1", tolerate(taints.Unreachable, seconds(0)))
	f.addPod("stays", "n2")
	f.c.begin()
	f.step(grace)
	f.renew("n2", "n3")
	f.settle("n1", "n2", "n3")
	f.wantPods("stays")
	want := "[Normal NodeNotReady Node n1 status is now: NodeNotReady Normal TaintManagerEviction Marking for deletion Pod default/gone]"
	if got := fmt.Sprint(rec.Drain()); got != want {
		t.Errorf("events %s, want %s", got, want)
	}
}
