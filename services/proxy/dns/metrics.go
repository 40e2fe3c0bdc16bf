package dns

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Kinds of answers, the "kind" label of the metrics.
const (
	kindZone     = "zone"     // authoritative, from the routing table
	kindForward  = "forward"  // forwarded upstream
	kindRefused  = "refused"  // outside the zone without upstream, or a client not allowed
	kindOverload = "overload" // over MaxQueries or MaxUpstreamQueries
	kindNotReady = "notready" // the proxy has no table yet
)

type metrics struct {
	queries  *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	upErrors prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_proxy_dns_queries_total",
			Help: "DNS queries answered, by kind (zone, forward, refused, overload, notready) and rcode."}, []string{"kind", "rcode"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gantry_proxy_dns_query_seconds",
			Help: "Time to answer a DNS query, by kind.", Buckets: prometheus.ExponentialBuckets(1e-5, 4, 10)}, []string{"kind"}),
		upErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "gantry_proxy_dns_upstream_errors_total",
			Help: "Forwarded queries no upstream answered (answered SERVFAIL)."}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.queries, m.seconds, m.upErrors} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
