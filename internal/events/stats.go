package events

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

type counters struct {
	invalid, queueFull, spam, combined, repeats, created, updated, rejected, givenUp, pendingFull atomic.Int64
}

// Stats counts what happened to recorded events since the start.
type Stats struct {
	// Invalid: named no object, no reason or an unknown type.
	Invalid int64
	// QueueFull: dropped because the writer was behind.
	QueueFull int64
	// Spam: dropped by the spam filter.
	Spam int64
	// Combined: folded into a "combined from similar events" Event.
	Combined int64
	// Repeats: bumped an existing Event's count.
	Repeats int64
	// Created and Updated: Event writes that succeeded.
	Created, Updated int64
	// Rejected: writes the server refused for good (namespace gone, ...).
	Rejected int64
	// GivenUp: writes that failed MaxAttempts times in a row.
	GivenUp int64
	// PendingFull: writes given up because MaxPending were waiting.
	PendingFull int64
}

// Stats returns the counters.
func (b *Broadcaster) Stats() Stats {
	c := &b.stats
	return Stats{Invalid: c.invalid.Load(), QueueFull: c.queueFull.Load(), Spam: c.spam.Load(), Combined: c.combined.Load(),
		Repeats: c.repeats.Load(), Created: c.created.Load(), Updated: c.updated.Load(), Rejected: c.rejected.Load(),
		GivenUp: c.givenUp.Load(), PendingFull: c.pendingFull.Load()}
}

// Collector exposes the counters and the queue length to Prometheus, for
// the component's own registry.
func (b *Broadcaster) Collector() prometheus.Collector { return collector{b} }

var (
	eventsDesc = prometheus.NewDesc("gantry_events_total",
		"Events recorded by this process, by what became of them: created, updated (a repeat written), deduplicated, combined, "+
			"spam_filtered, dropped_queue_full, dropped_pending_full, rejected, given_up, invalid.", []string{"result"}, nil)
	queueDesc = prometheus.NewDesc("gantry_events_queue_length", "Events waiting for the event writer.", nil, nil)
)

type collector struct{ b *Broadcaster }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- eventsDesc
	ch <- queueDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.b.Stats()
	for _, r := range []struct {
		label string
		v     int64
	}{
		{"created", s.Created}, {"updated", s.Updated}, {"deduplicated", s.Repeats}, {"combined", s.Combined},
		{"spam_filtered", s.Spam}, {"dropped_queue_full", s.QueueFull}, {"dropped_pending_full", s.PendingFull},
		{"rejected", s.Rejected}, {"given_up", s.GivenUp}, {"invalid", s.Invalid},
	} {
		ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(r.v), r.label)
	}
	ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(len(c.b.queue)))
}

// CollectorOf returns the metrics of the Broadcaster behind x (one of its
// Recorders, or the Broadcaster as a Factory), for a component to
// register; false for Discard, fakes and nil.
func CollectorOf(x any) (prometheus.Collector, bool) {
	switch v := x.(type) {
	case *Broadcaster:
		if v != nil {
			return v.Collector(), true
		}
	case *recorder:
		if v != nil && v.b != nil {
			return v.b.Collector(), true
		}
	}
	return nil, false
}
