package gc

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// Name is the controller's name in status and logs.
const Name = "garbagecollector"

// Finalizers the apiserver adds for Orphan and Foreground deletes.
const (
	FinalizerOrphan     = "orphan"
	FinalizerForeground = "foregroundDeletion"
)

// Config tunes the collector.
type Config struct {
	// Workers process work items in parallel.
	Workers int
	// UnobservedOwnerDelay is how long a dependent whose owner the graph
	// has not seen waits before the owner is read live (the owner's
	// informer usually catches up first).
	UnobservedOwnerDelay time.Duration
	// AbsentCacheSize bounds the remembered absent owner uids.
	AbsentCacheSize int
	// BatchSize bounds the deletes coalesced into one Batch call.
	BatchSize int
	// Queue tunes the work queue (its Clock is replaced by Deps.Clock).
	Queue workqueue.Config
}

// DefaultConfig returns 200 workers: they mostly wait for their deletes to
// go out in a shared Batch call, and more waiting workers make larger
// batches.
func DefaultConfig() Config {
	return Config{Workers: 200, UnobservedOwnerDelay: 2 * time.Second, AbsentCacheSize: 10000, BatchSize: 500,
		Queue: workqueue.DefaultConfig()}
}

// DefaultKinds are the kinds the collector watches: every kind but Event.
func DefaultKinds() []string {
	var out []string
	for _, k := range apimeta.Kinds() {
		if k != apimeta.KindEvent {
			out = append(out, k)
		}
	}
	return out
}

// Deps are the collector's collaborators.
type Deps struct {
	Client ctrl.Client
	// Caches holds one cache per watched kind.
	Caches map[string]ctrl.Cache
	Clock  workqueue.Clock
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("gc: invalid config")

func (c Config) validate(d Deps) error {
	switch {
	case c.Workers < 1 || c.AbsentCacheSize < 1 || c.BatchSize < 1:
		return fmt.Errorf("%w: Workers, AbsentCacheSize and BatchSize must be positive", ErrConfig)
	case d.Client == nil || len(d.Caches) == 0:
		return fmt.Errorf("%w: Client and Caches are required", ErrConfig)
	}
	for k := range d.Caches {
		if _, ok := apimeta.Lookup(k); !ok {
			return fmt.Errorf("%w: unknown kind %q", ErrConfig, k)
		}
	}
	return nil
}
