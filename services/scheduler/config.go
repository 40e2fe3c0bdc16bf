package scheduler

import (
	"errors"
	"fmt"
	"os"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/leaderelect"
	"github.com/gantryio/gantry/services/scheduler/clock"
	"github.com/gantryio/gantry/services/scheduler/queue"
)

// DefaultSchedulerName is the scheduler_name pods get by default.
const DefaultSchedulerName = "default-scheduler"

// Config configures a scheduler replica.
type Config struct {
	// SchedulerName: pods naming it in spec.schedulerName are scheduled.
	SchedulerName string
	// Listen is the gRPC address (SchedulerService, health, reflection);
	// HTTPListen serves /healthz and /metrics ("" turns HTTP off).
	Listen, HTTPListen string
	// Election configures the Lease election; an empty Identity becomes
	// hostname_pid.
	Election leaderelect.Config
	// Queue configures backoff and the unschedulable pool.
	Queue queue.Config
	// PercentageOfNodesToScore is the share of a large cluster's nodes
	// found feasible before scoring stops looking (0: Kubernetes'
	// adaptive default; 100: all).
	PercentageOfNodesToScore int
	// BindBatchSize bounds the bindings of one Bind call (and the status
	// writes of one Batch call); BindBatchWait is how long the binder
	// waits for more pods after the first; BindWorkers is how many Bind
	// calls may be in flight at once.
	BindBatchSize int
	BindBatchWait time.Duration
	BindWorkers   int
	// RequestTimeout bounds one Bind or Batch call.
	RequestTimeout time.Duration
}

// DefaultConfig returns the defaults of `gantry scheduler`.
func DefaultConfig() Config {
	el := leaderelect.DefaultConfig()
	el.Name = "gantry-scheduler"
	return Config{
		SchedulerName:  DefaultSchedulerName,
		Listen:         "127.0.0.1:7301",
		HTTPListen:     "127.0.0.1:7311",
		Election:       el,
		Queue:          queue.DefaultConfig(),
		BindBatchSize:  500,
		BindBatchWait:  2 * time.Millisecond,
		BindWorkers:    2,
		RequestTimeout: 30 * time.Second,
	}
}

// maxBatch is the apiserver's limit on bindings (and ops) per call.
const maxBatch = 1000

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("scheduler: invalid config")

func (c *Config) complete() error {
	if c.Election.Identity == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("%w: no identity and no hostname: %w", ErrConfig, err)
		}
		c.Election.Identity = fmt.Sprintf("%s_%d", host, os.Getpid())
	}
	switch {
	case c.SchedulerName == "":
		return fmt.Errorf("%w: SchedulerName is required", ErrConfig)
	case c.Listen == "":
		return fmt.Errorf("%w: Listen is required", ErrConfig)
	case c.BindBatchSize < 1 || c.BindBatchSize > maxBatch:
		return fmt.Errorf("%w: BindBatchSize %d not in [1, %d]", ErrConfig, c.BindBatchSize, maxBatch)
	case c.BindWorkers < 1 || c.BindBatchWait < 0 || c.RequestTimeout <= 0:
		return fmt.Errorf("%w: need BindWorkers >= 1, BindBatchWait >= 0, RequestTimeout > 0", ErrConfig)
	case c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100:
		return fmt.Errorf("%w: PercentageOfNodesToScore %d not in [0, 100]", ErrConfig, c.PercentageOfNodesToScore)
	}
	return nil
}

// API is what the scheduler needs of the apiservers; *client.Client
// satisfies it. Bind and Batch go through Resources(), the raw stub.
type API interface {
	informer.ListWatcher
	leaderelect.Client
	Resources() gantryv1.ResourceServiceClient
}

// Deps are the scheduler's collaborators.
type Deps struct {
	// Client talks to the apiservers (required).
	Client API
	// Clock drives the queue's backoff and flushes (nil: the real clock).
	Clock clock.Clock
	// Recorder records Scheduled and FailedScheduling events (nil: none).
	Recorder events.Recorder
}
