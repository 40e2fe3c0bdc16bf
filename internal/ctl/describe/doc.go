// Package describe owns gantryctl's `describe` text: kubectl's layout of
// one object (metadata, then what matters for its kind, then its events),
// with Gantry's additions where they help, such as the scheduler's
// per-node verdicts for a Pending pod. It formats only: the caller fetches
// the object and whatever Extra it wants shown.
package describe
