package controller

import (
	"github.com/gantryio/gantry/internal/events"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics is the replica's Prometheus registry.
type metrics struct {
	reg *prometheus.Registry
}

func newMetrics(m *Manager) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_controller_leading",
		Help: "1 when this replica holds the lease and runs the controllers."}, func() float64 {
		if m.Leading() {
			return 1
		}
		return 0
	}))
	if c, ok := events.CollectorOf(m.events); ok {
		reg.MustRegister(c)
	}
	for _, c := range m.controllers {
		labels := prometheus.Labels{"controller": c.Name()}
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_controller_queue_depth", Help: "Keys ready in the work queue.",
				ConstLabels: labels}, func() float64 { return float64(c.Status().GetQueueDepth()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gantry_controller_reconciles_total", Help: "Reconciles run.",
				ConstLabels: labels}, func() float64 { return float64(c.Status().GetReconcilesTotal()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gantry_controller_errors_total", Help: "Reconciles that failed (stale-cache conflicts excluded).",
				ConstLabels: labels}, func() float64 { return float64(c.Status().GetErrorsTotal()) }),
		)
		// Controllers with metrics of their own (the node lifecycle's brake).
		if mc, ok := c.(interface{ Collectors() []prometheus.Collector }); ok {
			reg.MustRegister(mc.Collectors()...)
		}
	}
	for kind, inf := range m.informers {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_controller_cached_objects",
			Help: "Objects in the informer cache.", ConstLabels: prometheus.Labels{"kind": kind}},
			func() float64 { return float64(inf.Store().Len()) }))
	}
	return &metrics{reg: reg}
}
