package nodelifecycle

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the controller's metrics; the controller manager
// registers them.
func (c *Controller) Collectors() []prometheus.Collector {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	return []prometheus.Collector{
		gauge("gantry_node_lifecycle_evictions_stopped",
			"1 while the brake holds: more than the unhealthy threshold of the nodes (or all) look down, so nothing is tainted or evicted.",
			func() float64 {
				if c.braked.Load() {
					return 1
				}
				return 0
			}),
		gauge("gantry_node_lifecycle_unhealthy_nodes", "Nodes whose lease is older than the grace period or that are not Ready, at the last assessment.",
			func() float64 { return float64(c.unhealthyNodes.Load()) }),
		gauge("gantry_node_lifecycle_nodes", "Nodes at the last assessment.",
			func() float64 { return float64(c.totalNodes.Load()) }),
		counter("gantry_node_lifecycle_evictions_total", "Pods deleted because their tolerations of a NoExecute taint ran out.",
			func() float64 { return float64(c.evictions.Load()) }),
		counter("gantry_node_lifecycle_taints_added_total", "NoExecute taints (not-ready or unreachable) added to nodes.",
			func() float64 { return float64(c.tainted.Load()) }),
	}
}

// Braked reports whether the brake holds (for tests and status).
func (c *Controller) Braked() bool { return c.braked.Load() }

// Evictions returns how many pods were evicted.
func (c *Controller) Evictions() int64 { return c.evictions.Load() }
