package replicaset

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// Name is the controller's name in status and logs.
const Name = "replicaset"

// Config tunes the controller.
type Config struct {
	// Workers reconcile different ReplicaSets in parallel.
	Workers int
	// BurstReplicas bounds the pods one sync creates or deletes.
	BurstReplicas int
	// SlowStartInitialBatch is the first create round's size; rounds
	// double after each round that fully succeeds.
	SlowStartInitialBatch int
	// BatchSize is the most ops per Batch call; BatchParallelism how many
	// Batch calls one sync keeps in flight.
	BatchSize, BatchParallelism int
	// ExpectationsTTL bounds how long unobserved writes hold a key back.
	ExpectationsTTL time.Duration
	// Queue tunes the work queue (its Clock is replaced by Deps.Clock).
	Queue workqueue.Config
}

// DefaultConfig returns the defaults: 5 workers, up to 10,000 pods per
// sync in rounds of 1, 2, 4, ..., 500 ops per Batch, 4 Batches in flight.
func DefaultConfig() Config {
	return Config{Workers: 5, BurstReplicas: 10000, SlowStartInitialBatch: 1, BatchSize: 500, BatchParallelism: 4,
		ExpectationsTTL: 5 * time.Minute, Queue: workqueue.DefaultConfig()}
}

// Deps are the controller's collaborators.
type Deps struct {
	Client            ctrl.Client
	ReplicaSets, Pods ctrl.Cache
	Clock             workqueue.Clock
	// Recorder records pod creates and deletes (nil: none).
	Recorder events.Recorder
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("replicaset: invalid config")

func (c Config) validate(d Deps) error {
	switch {
	case c.Workers < 1 || c.BurstReplicas < 1 || c.SlowStartInitialBatch < 1:
		return fmt.Errorf("%w: Workers, BurstReplicas and SlowStartInitialBatch must be positive", ErrConfig)
	case c.BatchSize < 1 || c.BatchSize > ctrl.MaxBatchOps || c.BatchParallelism < 1:
		return fmt.Errorf("%w: BatchSize must be 1..%d and BatchParallelism positive", ErrConfig, ctrl.MaxBatchOps)
	case d.Client == nil || d.ReplicaSets == nil || d.Pods == nil:
		return fmt.Errorf("%w: Client, ReplicaSets and Pods are required", ErrConfig)
	}
	return nil
}
