// Package testutil owns the in-process test harness: a cluster of real
// apiservers (real Raft on disk, real gRPC on loopback) inside the test
// process, with helpers to find the leader, crash and restart members and
// wait for conditions with a deadline.
package testutil
