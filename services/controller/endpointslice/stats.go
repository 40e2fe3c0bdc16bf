package endpointslice

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// stats counts what the controller wrote.
type stats struct {
	creates, updates, deletes, staleSyncs atomic.Int64
}

// Collectors returns the controller's own metrics (the manager registers
// them): slice writes by operation and syncs put off for a stale cache.
func (c *Controller) Collectors() []prometheus.Collector {
	op := func(name string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "gantry_endpointslice_changes_total", Help: "EndpointSlice writes by operation.",
			ConstLabels: prometheus.Labels{"operation": name},
		}, func() float64 { return float64(v.Load()) })
	}
	return []prometheus.Collector{
		op("create", &c.stats.creates), op("update", &c.stats.updates), op("delete", &c.stats.deletes),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "gantry_endpointslice_stale_syncs_total",
			Help: "Syncs put off because the cache had not yet seen the controller's own slice writes.",
		}, func() float64 { return float64(c.stats.staleSyncs.Load()) }),
	}
}
