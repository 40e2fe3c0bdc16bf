package nodeagent

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// startHTTP serves /healthz and /metrics when HTTPListen is set.
func (a *Agent) startHTTP(errc chan<- error) error {
	if a.cfg.HTTPListen == "" {
		return nil
	}
	l, err := net.Listen("tcp", a.cfg.HTTPListen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTPListen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("/metrics", promhttp.HandlerFor(a.registry(), promhttp.HandlerOpts{}))
	a.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := a.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	return nil
}

// registry holds the agent's metrics, read from its parts when scraped.
func (a *Agent) registry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func() float64) {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gantry", Subsystem: "nodeagent", Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		r.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "gantry", Subsystem: "nodeagent", Name: name, Help: help}, f))
	}
	r.MustRegister(a.events.Collector())
	gauge("nodes", "Nodes this agent plays.", func() float64 { return float64(len(a.nodes)) })
	gauge("pods", "Pods with a worker on this agent's nodes.", func() float64 {
		n := 0
		for _, nd := range a.nodes {
			n += len(nd.pods.Pods())
		}
		return float64(n)
	})
	gauge("pod_status_pending", "Pod statuses not written yet.", func() float64 { return float64(a.status.Pending()) })
	counter("pod_status_batches_total", "Batch calls writing pod statuses.", func() float64 { return float64(a.status.Stats().Batches) })
	counter("pod_status_writes_total", "Pod statuses written.", func() float64 { return float64(a.status.Stats().Ops) })
	counter("pod_status_failures_total", "Pod status writes that failed and were retried.", func() float64 { return float64(a.status.Stats().Failed) })
	return r
}
