package describe

import (
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// scheduling tells why a pod without a node is not running anywhere: the
// scheduler's summary and per-node verdicts when the caller asked it
// (Extra.Explain), else the message of the PodScheduled=False condition
// the scheduler wrote. kubectl has no such section; it shows the same
// words only in a FailedScheduling event.
func (d *describer) scheduling(st *gantryv1.PodStatus) {
	ex := d.extra.Explain
	if ex == nil {
		for _, c := range st.GetConditions() {
			if c.GetType() == "PodScheduled" && c.GetStatus() == "False" && c.GetMessage() != "" {
				d.w.write(level0, "Scheduling:\t%s\n", c.GetMessage())
			}
		}
		return
	}
	line := ex.GetSummary()
	if ex.GetChosen() != "" {
		if line != "" {
			line += "; "
		}
		line += "would bind to " + ex.GetChosen()
	}
	d.w.write(level0, "Scheduling:\t%s\n", orNone(line))
	if len(ex.GetNodes()) == 0 {
		return
	}
	// The table is a block of its own: flushed before and after, so its
	// columns neither widen nor take the widths of the lines around it.
	d.w.raw("")
	d.w.write(level1, "Node\tFits\tScore\tFilter\tReason\n")
	d.w.write(level1, "----\t----\t-----\t------\t------\n")
	for _, v := range ex.GetNodes() {
		fits, score := "No", ""
		if v.GetFeasible() {
			fits, score = "Yes", strconv.FormatInt(v.GetScore(), 10)
		}
		d.w.write(level1, "%s\t%s\t%s\t%s\t%s\n", v.GetNode(), fits, score, v.GetFilter(), v.GetReason())
	}
	d.w.raw("")
}
