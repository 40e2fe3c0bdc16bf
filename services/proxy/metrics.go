package proxy

import (
	"time"

	"github.com/gantryio/gantry/services/proxy/table"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics is the proxy's own Prometheus registry; the dataplane registers
// its metrics there too.
type metrics struct {
	reg         *prometheus.Registry
	syncs       *prometheus.CounterVec
	syncSeconds prometheus.Histogram
	programming prometheus.Histogram
	changes     *prometheus.CounterVec
}

func newMetrics(p *Proxy) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_proxy_syncs_total",
			Help: "Syncs (build, diff, apply) by result: ok, error."}, []string{"result"}),
		syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gantry_proxy_sync_seconds",
			Help: "Time to build the table, diff it and apply the diff.", Buckets: prometheus.ExponentialBuckets(1e-4, 2, 16)}),
		programming: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gantry_proxy_network_programming_seconds",
			Help:    "Time from the proxy receiving a Service or EndpointSlice change to the dataplane carrying it (coalescing included).",
			Buckets: prometheus.ExponentialBuckets(1e-3, 2, 16)}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_proxy_route_changes_total",
			Help: "Routes applied to the dataplane by op: added, removed, changed."}, []string{"op"}),
	}
	gauge := func(name, help string, f func(*table.Table) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if s := p.applied.Load(); s != nil {
				return float64(f(s.table))
			}
			return 0
		})
	}
	m.reg.MustRegister(m.syncs, m.syncSeconds, m.programming, m.changes,
		gauge("gantry_proxy_routes", "Service ports the dataplane carries.", (*table.Table).Len),
		gauge("gantry_proxy_endpoints", "Endpoints over the routes the dataplane carries.", (*table.Table).EndpointCount),
		gauge("gantry_proxy_services", "Services in the routing table (headless ones included).", func(t *table.Table) int { return len(t.Services()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gantry_proxy_synced", Help: "1 once the first table was applied."},
			func() float64 {
				if p.synced.Load() {
					return 1
				}
				return 0
			}),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeSync records a successful sync; since is when its oldest event
// arrived (zero: none, such as the first sync or a retry timer).
func (m *metrics) observeSync(ch *table.Changes, took time.Duration, since, now time.Time) {
	m.syncs.WithLabelValues("ok").Inc()
	m.syncSeconds.Observe(took.Seconds())
	if !since.IsZero() && !ch.Empty() {
		m.programming.Observe(now.Sub(since).Seconds())
	}
	m.changes.WithLabelValues("added").Add(float64(len(ch.Added)))
	m.changes.WithLabelValues("removed").Add(float64(len(ch.Removed)))
	m.changes.WithLabelValues("changed").Add(float64(len(ch.Changed)))
}
