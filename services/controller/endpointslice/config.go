package endpointslice

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// Name is the controller's name in status and logs.
const Name = "endpointslice"

// Labels and values of managed slices, as in Kubernetes.
const (
	// LabelServiceName names the Service a slice belongs to.
	LabelServiceName = "kubernetes.io/service-name"
	// LabelManagedBy names the controller that writes a slice.
	LabelManagedBy = "endpointslice.kubernetes.io/managed-by"
	// ManagedBy is this controller's LabelManagedBy value.
	ManagedBy = "endpointslice-controller.gantry.io"
	// LabelHeadless marks the slices of a headless Service.
	LabelHeadless = "service.kubernetes.io/headless"
	// AddressTypeIPv4 is the only address type this controller writes.
	AddressTypeIPv4 = "IPv4"
	// MaxEndpointsLimit is the apiserver's bound on endpoints per slice.
	MaxEndpointsLimit = 1000
)

// Config tunes the controller.
type Config struct {
	// Workers reconcile different Services in parallel.
	Workers int
	// MaxEndpointsPerSlice bounds each slice (1..MaxEndpointsLimit).
	MaxEndpointsPerSlice int
	// BatchPeriod delays the sync a pod change triggers, so that a burst
	// of pod changes becomes one write per slice (0: sync at once; the
	// queue still merges changes that arrive while a sync waits).
	BatchPeriod time.Duration
	// SliceChangeDelay delays the sync a change to a managed slice by
	// someone else triggers, so that a fight with another writer cannot
	// become a hot loop.
	SliceChangeDelay time.Duration
	// TrackerTTL bounds how long a write this controller made and has not
	// seen in its cache holds a Service's syncs back (a lost event
	// delays, never wedges).
	TrackerTTL time.Duration
	// BatchOps and BatchBytes bound one Batch call of a sync's writes.
	BatchOps, BatchBytes int
	// Queue tunes the work queue (its Clock is replaced by Deps.Clock).
	Queue workqueue.Config
}

// DefaultConfig returns Kubernetes' defaults: 100 endpoints per slice, no
// batch period, 1 s before answering someone else's slice change.
func DefaultConfig() Config {
	return Config{
		Workers: 5, MaxEndpointsPerSlice: 100, SliceChangeDelay: time.Second, TrackerTTL: time.Minute,
		BatchOps: 500, BatchBytes: 1 << 20, Queue: workqueue.DefaultConfig(),
	}
}

// Deps are the controller's collaborators.
type Deps struct {
	Client                 ctrl.Client
	Services, Pods, Slices ctrl.Cache
	Clock                  workqueue.Clock
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("endpointslice: invalid config")

func (c Config) validate(d Deps) error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("%w: Workers must be positive", ErrConfig)
	case c.MaxEndpointsPerSlice < 1 || c.MaxEndpointsPerSlice > MaxEndpointsLimit:
		return fmt.Errorf("%w: MaxEndpointsPerSlice must be 1..%d, got %d", ErrConfig, MaxEndpointsLimit, c.MaxEndpointsPerSlice)
	case c.BatchPeriod < 0 || c.SliceChangeDelay < 0 || c.TrackerTTL <= 0:
		return fmt.Errorf("%w: BatchPeriod and SliceChangeDelay must not be negative, TrackerTTL must be positive", ErrConfig)
	case c.BatchOps < 1 || c.BatchOps > ctrl.MaxBatchOps || c.BatchBytes < 1:
		return fmt.Errorf("%w: BatchOps must be 1..%d and BatchBytes positive", ErrConfig, ctrl.MaxBatchOps)
	case d.Client == nil || d.Services == nil || d.Pods == nil || d.Slices == nil:
		return fmt.Errorf("%w: Client, Services, Pods and Slices are required", ErrConfig)
	}
	return nil
}
