package controller

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/leaderelect"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/deployment"
	"github.com/gantryio/gantry/services/controller/disruption"
	"github.com/gantryio/gantry/services/controller/endpointslice"
	"github.com/gantryio/gantry/services/controller/gc"
	"github.com/gantryio/gantry/services/controller/nodeipam"
	"github.com/gantryio/gantry/services/controller/nodelifecycle"
	"github.com/gantryio/gantry/services/controller/replicaset"
)

// Controller names, for Config.Controllers and status.
const (
	ReplicaSet       = replicaset.Name
	Deployment       = deployment.Name
	GarbageCollector = gc.Name
	NodeIPAM         = nodeipam.Name
	NodeLifecycle    = nodelifecycle.Name
	EndpointSlice    = endpointslice.Name
	Disruption       = disruption.Name
)

// AllControllers lists every controller, in start order.
var AllControllers = []string{ReplicaSet, Deployment, GarbageCollector, NodeIPAM, NodeLifecycle, EndpointSlice, Disruption}

// Config configures a controller-manager replica.
type Config struct {
	// Listen is the gRPC address (ControllerService, health, reflection);
	// HTTPListen serves /healthz and /metrics ("" turns HTTP off).
	Listen, HTTPListen string
	// Election configures the Lease election; an empty Identity becomes
	// hostname_pid.
	Election leaderelect.Config
	// Controllers are the controllers to run (default: all).
	Controllers []string
	ReplicaSet  replicaset.Config
	Deployment  deployment.Config
	GC          gc.Config
	// GCKinds are the kinds the garbage collector watches.
	GCKinds  []string
	NodeIPAM nodeipam.Config
	// NodeLifecycle tunes node health and taint-based eviction.
	NodeLifecycle nodelifecycle.Config
	// EndpointSlice tunes the Services' endpoint slices.
	EndpointSlice endpointslice.Config
	// Disruption tunes the PodDisruptionBudgets' status.
	Disruption disruption.Config
	// InformerPageSize is the list page size of every informer.
	InformerPageSize int64
}

// DefaultConfig returns the defaults of `gantry controller`.
func DefaultConfig() Config {
	el := leaderelect.DefaultConfig()
	el.Name = "gantry-controller"
	return Config{
		Listen: "127.0.0.1:7401", HTTPListen: "127.0.0.1:7411", Election: el,
		Controllers: slices.Clone(AllControllers),
		ReplicaSet:  replicaset.DefaultConfig(), Deployment: deployment.DefaultConfig(),
		GC: gc.DefaultConfig(), GCKinds: gc.DefaultKinds(), NodeIPAM: nodeipam.DefaultConfig(),
		NodeLifecycle: nodelifecycle.DefaultConfig(), EndpointSlice: endpointslice.DefaultConfig(),
		Disruption:       disruption.DefaultConfig(),
		InformerPageSize: informer.DefaultConfig().PageSize,
	}
}

// API is what the controller manager needs of the apiservers: reads,
// writes, Batch, list and watch. ctrl.NewAPIClient(*client.Client) is one.
type API interface {
	ctrl.Client
	informer.ListWatcher
}

// Deps are the manager's collaborators.
type Deps struct {
	Client API
	// Clock drives the controllers' queues and timestamps (real when nil).
	Clock workqueue.Clock
	// Events makes each controller's Recorder (nil: no events).
	Events events.Factory
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("controller: invalid config")

func (c *Config) complete() error {
	if c.Election.Identity == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("%w: no identity and no hostname: %w", ErrConfig, err)
		}
		c.Election.Identity = fmt.Sprintf("%s_%d", host, os.Getpid())
	}
	if c.Listen == "" {
		return fmt.Errorf("%w: Listen is required", ErrConfig)
	}
	for _, n := range c.Controllers {
		if !slices.Contains(AllControllers, n) {
			return fmt.Errorf("%w: unknown controller %q (known: %v)", ErrConfig, n, AllControllers)
		}
	}
	for _, k := range c.GCKinds {
		if _, ok := apimeta.Lookup(k); !ok {
			return fmt.Errorf("%w: unknown kind %q for the garbage collector", ErrConfig, k)
		}
	}
	return nil
}

func (c *Config) enabled(name string) bool { return slices.Contains(c.Controllers, name) }
