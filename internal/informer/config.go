package informer

import (
	"context"
	"errors"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/client"
)

// ListWatcher is what an informer needs from the API; *client.Client
// satisfies it.
type ListWatcher interface {
	List(ctx context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error)
	Watch(ctx context.Context, req *gantryv1.WatchRequest) *client.Watcher
}

// Config selects what the informer caches.
type Config struct {
	// Kind is the kind to cache, such as "Pod".
	Kind string
	// Namespace restricts the cache to one namespace ("" is all).
	Namespace string
	// LabelSelector and FieldSelector restrict the cache as in ListRequest.
	LabelSelector, FieldSelector string
	// PageSize is the list page size.
	PageSize int64
	// Backoff spaces attempts after failed lists and failed watches.
	Backoff client.Backoff
}

// DefaultConfig returns a configuration without a kind.
func DefaultConfig() Config {
	return Config{
		PageSize: 500,
		Backoff:  client.Backoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.5},
	}
}

// Handler receives the changes of the cache. Nil functions are skipped.
type Handler struct {
	// OnAdd is called for an object new to the cache.
	OnAdd func(obj *gantryv1.Object)
	// OnUpdate is called when a cached object changes (a newer
	// resource_version).
	OnUpdate func(old, new *gantryv1.Object)
	// OnDelete is called with the object's last known state when it
	// leaves the cache.
	OnDelete func(obj *gantryv1.Object)
}

// Errors of this package.
var (
	// ErrConfig is wrapped by New's configuration errors.
	ErrConfig = errors.New("informer: invalid config")
	// ErrStarted is returned when Run is called twice, or handlers are
	// added after Run.
	ErrStarted = errors.New("informer: already started")
	// ErrStopped is returned by WaitForSync when Run ended before the
	// first sync.
	ErrStopped = errors.New("informer: stopped")
	// ErrNoIndex is returned by ListByIndex for an unknown index.
	ErrNoIndex = errors.New("informer: no such index")
	// ErrIndexExists is returned by AddIndex for a name already in use.
	ErrIndexExists = errors.New("informer: index exists")
)
