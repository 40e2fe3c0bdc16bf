package dataplane

import (
	"context"
	"errors"

	"github.com/gantryio/gantry/services/proxy/table"
)

// Dataplane carries a routing table: traffic to each route's addresses
// reaches the route's targets (table.Route.Targets), spread across them;
// a route without targets refuses new connections at once.
//
// The proxy calls Apply from one goroutine, never concurrently, and Close
// once after the last Apply. Before the first Apply the dataplane carries
// nothing; ch.Old is then nil.
//
// Apply moves the dataplane from ch.Old (the last table it accepted) to
// ch.New. It applies every route it can even when some fail, and returns
// an error (wrapping ErrPartial when others were applied) so that the proxy
// retries. A retry is computed from the same ch.Old, so it repeats changes
// that were already carried: each operation must be idempotent. Adding a
// route that is carried updates it, changing a route that is not carried
// adds it, removing a route that is not carried does nothing. A dataplane
// that prefers to rewrite everything (one kernel transaction) may ignore
// the lists and carry ch.New as a whole.
//
// Routes of a protocol a dataplane cannot carry (SCTP in userspace) are
// skipped and reported by RouteStatus (see Reporter), not returned as
// errors.
type Dataplane interface {
	Apply(ctx context.Context, ch *table.Changes) error
	// Close stops carrying every route and releases what the dataplane
	// holds (listeners, connections, kernel tables).
	Close() error
}

// Reporter is implemented by dataplanes with something to say about each
// route: where they serve it and why they cannot.
type Reporter interface {
	// RouteStatus reports on one route of the last applied table.
	RouteStatus(k table.PortKey) RouteStatus
}

// RouteStatus is one route as a dataplane carries it.
type RouteStatus struct {
	// Listen are the local addresses the route is served on besides its
	// cluster IP (the userspace listeners and the node port), as
	// "host:port".
	Listen []string
	// Error says why the route is not carried (fully), if it is not.
	Error string
}

// ErrPartial is wrapped by Apply's error when some changes were applied.
var ErrPartial = errors.New("dataplane: some changes not applied")
