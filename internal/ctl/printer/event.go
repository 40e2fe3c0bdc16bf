package printer

import (
	"strconv"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// eventRow is kubectl's printEvent (core/v1 events: no series).
func eventRow(o *gantryv1.Object, now time.Time, wide bool) []string {
	e := o.GetEvent()
	first, last := EventTimes(e, now)
	target := strings.ToLower(e.GetInvolvedObject().GetKind())
	if n := e.GetInvolvedObject().GetName(); n != "" {
		target += "/" + n
	}
	msg := strings.TrimSpace(e.GetMessage())
	if !wide {
		return []string{last, e.GetType(), e.GetReason(), target, msg}
	}
	return []string{last, e.GetType(), e.GetReason(), target, e.GetInvolvedObject().GetFieldPath(),
		EventSource(e), msg, first, strconv.Itoa(int(EventCount(e))), e.GetMetadata().GetName()}
}

// EventTimes returns how long ago an event was first and last seen, each
// falling back as kubectl's do (first on event_time, last on first).
func EventTimes(e *gantryv1.Event, now time.Time) (first, last string) {
	first = Since(e.GetFirstTimestamp(), now)
	if !isSet(e.GetFirstTimestamp()) {
		first = Since(e.GetEventTime(), now)
	}
	last = first
	if isSet(e.GetLastTimestamp()) {
		last = Since(e.GetLastTimestamp(), now)
	}
	return first, last
}

// EventCount is count, or 1 for a singleton event that did not set it.
func EventCount(e *gantryv1.Event) int32 {
	if e.GetCount() == 0 {
		return 1
	}
	return e.GetCount()
}

// EventSource is "component, host", falling back on the reporting
// component and instance, or "<unknown>".
func EventSource(e *gantryv1.Event) string {
	c := firstNonEmpty(e.GetSource().GetComponent(), e.GetReportingComponent())
	h := firstNonEmpty(e.GetSource().GetHost(), e.GetReportingInstance())
	switch {
	case c == "":
		return "<unknown>"
	case h == "":
		return c
	}
	return c + ", " + h
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
