package watch

import (
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	watchers prometheus.Gauge
	sent     prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		watchers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gantry_apiserver_watchers", Help: "Open watch streams."}),
		sent:     prometheus.NewCounter(prometheus.CounterOpts{Name: "gantry_apiserver_watch_events_scanned_total", Help: "Events read from the event log by watchers."}),
	}
}

// Collectors returns the watch metrics for registration.
func (s *Server) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.watchers, s.metrics.sent}
}

func formatRev(v uint64) string { return apimeta.FormatResourceVersion(v) }
