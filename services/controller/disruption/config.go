package disruption

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// Name is the controller's name in status and logs.
const Name = "disruption"

// Config tunes the controller.
type Config struct {
	// Workers reconcile different budgets in parallel.
	Workers int
	// DeletionTimeout is how long an evicted pod not yet seen deleted
	// counts as disrupted (Kubernetes: 2 minutes).
	DeletionTimeout time.Duration
	// Queue tunes the work queue (its Clock is replaced by Deps.Clock).
	Queue workqueue.Config
}

// DefaultConfig returns Kubernetes' defaults.
func DefaultConfig() Config {
	return Config{Workers: 2, DeletionTimeout: 2 * time.Minute, Queue: workqueue.DefaultConfig()}
}

// Deps are the controller's collaborators.
type Deps struct {
	Client ctrl.Client
	// Budgets, Pods, ReplicaSets and Deployments are the caches of those
	// kinds; the last two give the expected pod counts.
	Budgets, Pods, ReplicaSets, Deployments ctrl.Cache
	Clock                                   workqueue.Clock
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("disruption: invalid config")

func (c Config) validate(d Deps) error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("%w: Workers must be positive", ErrConfig)
	case c.DeletionTimeout <= 0:
		return fmt.Errorf("%w: DeletionTimeout must be positive", ErrConfig)
	case d.Client == nil || d.Budgets == nil || d.Pods == nil || d.ReplicaSets == nil || d.Deployments == nil:
		return fmt.Errorf("%w: Client, Budgets, Pods, ReplicaSets and Deployments are required", ErrConfig)
	}
	return nil
}
