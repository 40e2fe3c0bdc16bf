package prober

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
)

// Each failed probe is an Unhealthy warning on the container, the first
// ones below the failure threshold too.
func TestFailedProbesAreRecorded(t *testing.T) {
	f := newFixture(t, &gantryv1.Container{LivenessProbe: execProbe("live", nil), ReadinessProbe: execProbe("ready", nil)})
	rec := events.NewFake(10)
	f.m.cfg.Recorder = rec
	f.setExit("live", 1)
	f.step(Liveness)
	f.step(Readiness)
	f.setExit("ready", 2)
	f.step(Readiness)
	got := rec.Drain()
	if len(got) != 2 || got[0] != `Warning Unhealthy Liveness probe failed: command "live" exited with 1` ||
		got[1] != `Warning Unhealthy Readiness probe failed: command "ready" exited with 2` {
		t.Errorf("events %q", got)
	}
}
