package userspace

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Results of an accepted TCP connection, for the connections counter.
const (
	resultOK          = "ok"
	resultNoTargets   = "no_targets"
	resultDialFailed  = "dial_failed"
	resultOverLimit   = "over_limit"
	resultRouteClosed = "route_closed"
)

type metrics struct {
	conns       *prometheus.CounterVec
	active      prometheus.Gauge
	dialErrors  prometheus.Counter
	udpSessions prometheus.Gauge
	udpDropped  *prometheus.CounterVec
}

// newMetrics registers the dataplane's metrics on reg (nil: unregistered).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_proxy_userspace_connections_total",
			Help: "Accepted TCP connections by result: ok, no_targets, dial_failed, over_limit, route_closed."}, []string{"result"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gantry_proxy_userspace_active_connections",
			Help: "TCP connections being relayed."}),
		dialErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "gantry_proxy_userspace_dial_errors_total",
			Help: "Failed dials to targets (each is retried on the next target)."}),
		udpSessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gantry_proxy_userspace_udp_sessions",
			Help: "UDP sessions open."}),
		udpDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gantry_proxy_userspace_udp_dropped_total",
			Help: "UDP datagrams dropped by reason: no_targets, over_limit, dial_failed."}, []string{"reason"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.conns, m.active, m.dialErrors, m.udpSessions, m.udpDropped} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
