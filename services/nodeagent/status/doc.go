// Package status owns the node agent's pod status reporting: it keeps the
// latest status of each pod, coalesces changes that come faster than they
// can be written, and writes them in ResourceService.Batch calls of
// UpdateStatus ops (uid preconditions, so a recreated pod of the same name
// is never touched), at most one flush per interval. A pod's status is
// never in two calls at once, so writes for one pod land in order.
package status
