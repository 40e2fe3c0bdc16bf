package printer

import "time"

// Options changes what a table shows.
type Options struct {
	// Wide adds the columns of -o wide.
	Wide bool
	// NoHeaders leaves the header row out.
	NoHeaders bool
	// WithNamespace prepends a NAMESPACE column (for -A). Cluster-scoped
	// kinds ignore it, as kubectl does.
	WithNamespace bool
	// WithKind shows names as "deployment.apps/web", as kubectl does when
	// one command prints several kinds.
	WithKind bool
	// Now is the instant ages are measured from; zero means the wall clock
	// at the time each row is printed (what a long `get -w` wants).
	Now time.Time
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}
