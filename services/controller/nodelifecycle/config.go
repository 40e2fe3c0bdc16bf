package nodelifecycle

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// Name is the controller's name in status and logs.
const Name = "nodelifecycle"

// LeaseNamespace holds the node leases (the node agents' lease package
// writes them there).
const LeaseNamespace = "gantry-node-lease"

// Config tunes the controller; the defaults are Kubernetes'.
type Config struct {
	// GracePeriod is how long a node's lease may go unrenewed before the
	// node is Unknown (--node-monitor-grace-period).
	GracePeriod time.Duration
	// MonitorPeriod is how often the cluster's health (the brake) is
	// checked and braked nodes are looked at again (--node-monitor-period).
	MonitorPeriod time.Duration
	// EvictionRate is how many nodes per second may get a new NoExecute
	// taint (--node-eviction-rate; a burst of one).
	EvictionRate float64
	// UnhealthyThreshold is the fraction of unhealthy nodes above which
	// nothing is tainted or evicted (--unhealthy-zone-threshold).
	UnhealthyThreshold float64
	// Workers reconcile nodes in parallel.
	Workers int
	// Queue tunes the work queue (its Clock is replaced by Deps.Clock).
	Queue workqueue.Config
}

// DefaultConfig returns Kubernetes' defaults: 40 s grace, checked every
// 5 s, 0.1 nodes/s, brake above 55 %.
func DefaultConfig() Config {
	return Config{GracePeriod: 40 * time.Second, MonitorPeriod: 5 * time.Second, EvictionRate: 0.1,
		UnhealthyThreshold: 0.55, Workers: 4, Queue: workqueue.DefaultConfig()}
}

// Deps are the controller's collaborators.
type Deps struct {
	Client ctrl.Client
	// Nodes, Leases and Pods are caches of every Node, Lease and Pod.
	Nodes, Leases, Pods ctrl.Cache
	Clock               workqueue.Clock
	// Recorder records nodes going NotReady and pods evicted (nil: none).
	Recorder events.Recorder
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("nodelifecycle: invalid config")

func (c Config) validate(d Deps) error {
	switch {
	case c.GracePeriod <= 0:
		return fmt.Errorf("%w: the node monitor grace period must be positive (got %s)", ErrConfig, c.GracePeriod)
	case c.MonitorPeriod <= 0:
		return fmt.Errorf("%w: the node monitor period must be positive (got %s)", ErrConfig, c.MonitorPeriod)
	case !(c.EvictionRate > 0):
		return fmt.Errorf("%w: the node eviction rate must be positive (got %v)", ErrConfig, c.EvictionRate)
	case !(c.UnhealthyThreshold > 0 && c.UnhealthyThreshold <= 1):
		return fmt.Errorf("%w: the unhealthy zone threshold must be in (0, 1] (got %v)", ErrConfig, c.UnhealthyThreshold)
	case c.Workers < 1:
		return fmt.Errorf("%w: Workers must be positive", ErrConfig)
	case d.Client == nil || d.Nodes == nil || d.Leases == nil || d.Pods == nil:
		return fmt.Errorf("%w: Client, Nodes, Leases and Pods are required", ErrConfig)
	}
	return nil
}
