package scheduler

import (
	"slices"
	"testing"

	"github.com/gantryio/gantry/internal/events"
)

func TestSchedulingRecordsEvents(t *testing.T) {
	rec := events.NewFake(100)
	f := newFlow(t, func(d *Deps) { d.Recorder = rec })
	f.node("n1", "2")
	f.pod("fits", "1")
	f.pod("too-big", "4")
	var got []string
	want := []string{
		"Normal Scheduled Successfully assigned default/fits to n1",
		"Warning FailedScheduling 0/1 nodes are available: 1 Insufficient cpu.",
	}
	f.waitFor("Scheduled and FailedScheduling events", func() bool {
		got = append(got, rec.Drain()...)
		return slices.Contains(got, want[0]) && slices.Contains(got, want[1])
	})
}
