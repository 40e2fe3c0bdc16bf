package scheduler

import (
	"github.com/gantryio/gantry/internal/events"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics is the scheduler's own Prometheus registry.
type metrics struct {
	reg       *prometheus.Registry
	attempts  *prometheus.CounterVec
	latency   prometheus.Histogram
	binds     *prometheus.CounterVec
	batchSize prometheus.Histogram
	bindCall  prometheus.Histogram
	condWrite *prometheus.CounterVec
}

func newMetrics(s *Scheduler) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_scheduler_schedule_attempts_total",
			Help: "Scheduling attempts by result: scheduled, unschedulable, error."}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gantry_scheduler_scheduling_algorithm_seconds",
			Help: "Time to filter and score the nodes for one pod.", Buckets: prometheus.ExponentialBuckets(5e-6, 2, 16)}),
		binds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_scheduler_binds_total",
			Help: "Bindings by result: ok, conflict (already bound), error."}, []string{"result"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gantry_scheduler_bind_batch_size",
			Help: "Bindings per Bind call.", Buckets: prometheus.ExponentialBuckets(1, 2, 11)}),
		bindCall: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gantry_scheduler_bind_call_seconds",
			Help: "Latency of one Bind call.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		condWrite: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_scheduler_condition_writes_total",
			Help: "PodScheduled=False condition writes by result: ok, error."}, []string{"result"}),
	}
	m.reg.MustRegister(m.attempts, m.latency, m.binds, m.batchSize, m.bindCall, m.condWrite,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if c, ok := events.CollectorOf(s.rec); ok {
		m.reg.MustRegister(c)
	}
	for _, q := range []string{"active", "backoff", "unschedulable"} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_scheduler_pending_pods",
			Help: "Pods in the scheduling queue by queue.", ConstLabels: prometheus.Labels{"queue": q}},
			func() float64 { return float64(s.queueLen(q)) }))
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_scheduler_is_leader", Help: "1 on the replica that schedules."},
			func() float64 { return boolFloat(s.leading.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_scheduler_nodes", Help: "Nodes in the scheduler's cache."},
			func() float64 { n, _, _ := s.cache.Stats(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_scheduler_assumed_pods", Help: "Pods assumed on a node, binding not yet confirmed."},
			func() float64 { _, _, a := s.cache.Stats(); return float64(a) }),
	)
	return m
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *Scheduler) queueLen(which string) int {
	a, b, u := s.queue.Lens()
	switch which {
	case "active":
		return a
	case "backoff":
		return b
	}
	return u
}
