package deployment

import (
	"errors"
	"fmt"

	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// Name is the controller's name in status and logs.
const Name = "deployment"

// Config tunes the controller.
type Config struct {
	// Workers reconcile different Deployments in parallel.
	Workers int
	// Queue tunes the work queue (its Clock is replaced by Deps.Clock).
	Queue workqueue.Config
}

// DefaultConfig returns 5 workers.
func DefaultConfig() Config { return Config{Workers: 5, Queue: workqueue.DefaultConfig()} }

// Deps are the controller's collaborators.
type Deps struct {
	Client                         ctrl.Client
	Deployments, ReplicaSets, Pods ctrl.Cache
	Clock                          workqueue.Clock
	// Recorder records ReplicaSet scaling (nil: none).
	Recorder events.Recorder
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("deployment: invalid config")

func (c Config) validate(d Deps) error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("%w: Workers must be positive", ErrConfig)
	case d.Client == nil || d.Deployments == nil || d.ReplicaSets == nil || d.Pods == nil:
		return fmt.Errorf("%w: Client, Deployments, ReplicaSets and Pods are required", ErrConfig)
	}
	return nil
}
