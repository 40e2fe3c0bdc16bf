package describe

import (
	"fmt"
	"sort"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/ctl/printer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// events prints kubectl's Events table, oldest last-seen first, with
// "5m (x3 over 20m)" for repeated events, or "Events: <none>".
func (d *describer) events() {
	evs := append([]*gantryv1.Event(nil), d.extra.Events...)
	if len(evs) == 0 {
		d.w.write(level0, "Events:\t<none>\n")
		return
	}
	sort.SliceStable(evs, func(i, j int) bool {
		return lastSeen(evs[i]).AsTime().Before(lastSeen(evs[j]).AsTime())
	})
	d.w.raw("")
	d.w.write(level0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
	d.w.write(level1, "----\t------\t----\t----\t-------\n")
	for _, e := range evs {
		first := e.GetEventTime()
		if first == nil {
			first = e.GetFirstTimestamp()
		}
		age := printer.Since(first, d.now)
		if e.GetCount() > 1 {
			age = fmt.Sprintf("%s (x%d over %s)", printer.Since(e.GetLastTimestamp(), d.now), e.GetCount(), age)
		}
		from := e.GetSource().GetComponent()
		if from == "" {
			from = e.GetReportingComponent()
		}
		msg := strings.Join(strings.Fields(strings.TrimSpace(e.GetMessage())), " ")
		d.w.write(level1, "%s\t%s\t%s\t%s\t%s\n", e.GetType(), e.GetReason(), age, from, msg)
	}
}

// lastSeen is when an event was last seen: last_timestamp, else
// event_time, else first_timestamp.
func lastSeen(e *gantryv1.Event) *timestamppb.Timestamp {
	for _, ts := range []*timestamppb.Timestamp{e.GetLastTimestamp(), e.GetEventTime(), e.GetFirstTimestamp()} {
		if ts != nil {
			return ts
		}
	}
	return &timestamppb.Timestamp{}
}
