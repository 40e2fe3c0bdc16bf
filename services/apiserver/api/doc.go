// Package api owns the apiserver's gRPC edge: ResourceService and
// ClusterService handlers, forwarding of writes (and read-index requests)
// from followers to the leader, read consistency, and the one place where
// errors become gRPC statuses.
package api
