package nftables

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	transactions *prometheus.CounterVec
	resyncs      prometheus.Counter
	ctDeleted    prometheus.Counter
	ctErrors     prometheus.Counter
}

// newMetrics registers the dataplane's metrics on reg (nil: unregistered).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_proxy_nftables_transactions_total",
			Help: "nftables transactions sent by Apply, by result: ok, error."}, []string{"result"}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{Name: "gantry_proxy_nftables_resyncs_total",
			Help: "Times the table was rewritten whole after a failed transaction."}),
		ctDeleted: prometheus.NewCounter(prometheus.CounterOpts{Name: "gantry_proxy_nftables_conntrack_deleted_total",
			Help: "UDP conntrack entries deleted because their endpoint left or their service got endpoints."}),
		ctErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "gantry_proxy_nftables_conntrack_errors_total",
			Help: "Failed conntrack flushes."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.transactions, m.resyncs, m.ctDeleted, m.ctErrors} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
