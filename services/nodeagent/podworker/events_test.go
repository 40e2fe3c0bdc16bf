package podworker

import (
	"fmt"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/nodeagent/prober"
)

func TestLivenessKillAndRestartAreRecorded(t *testing.T) {
	pr := newFakeProber()
	h := newHarnessWith(t, pr)
	rec := events.NewFake(100)
	h.m.deps.Recorder = rec // before the first pod: its worker reads it
	h.m.Update(newPod("live", "Always", "c"))
	h.waitFor("live", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	run := pr.run(t, "uid-live", "c")
	pr.set(run.ID, prober.Status{Started: true, Kill: true, Message: "Liveness probe failed: boom", Probe: &gantryv1.Probe{}})
	h.m.Poke("uid-live")
	h.waitFor("live", "restart", func(s *gantryv1.PodStatus) bool {
		cs := cstate(s, 0)
		return cs.GetRestartCount() == 1 && cs.GetState().GetRunning() != nil
	})
	want := "[Normal Created Created container c Normal Started Started container c " +
		"Normal Killing Container c failed liveness probe, will be restarted " +
		"Normal Created Created container c Normal Started Started container c]"
	if got := fmt.Sprint(rec.Drain()); got != want {
		t.Errorf("events %s\nwant   %s", got, want)
	}
}
