// Package client owns how Gantry components talk to the API servers: one
// gRPC connection spread over every master (failover and keepalive; reads
// and watches round robin, writes to the leader that the masters' answers
// named, see balancer.go), retries that never apply a write twice, and
// watches that resume on any master from the last delivered
// resource_version.
//
// Retry rules:
//
//   - Reads (Get, List, ListAll) retry on UNAVAILABLE (apistatus.ReadRetryable)
//     and on a per-attempt RequestTimeout that fired while the caller's
//     context is still live, with jittered exponential backoff, at most
//     MaxRetries times and never past the caller's context.
//   - Writes (Create, Update, UpdateStatus, Delete) retry only when the server
//     said NOT_APPLIED (apistatus.WriteRetryable) or when the RPC provably
//     never reached a server (no transport stream was ever opened for it).
//     OUTCOME_UNKNOWN, a broken connection mid-call and every other code are
//     returned to the caller unchanged.
//   - Watches (Watcher) resume after UNAVAILABLE, a cleanly closed stream or
//     an idle timeout, from the resource_version of the last response handed
//     to the caller, so no event is delivered twice or lost. OUT_OF_RANGE
//     ends the watch with an error wrapping ErrExpired: the caller relists.
//
// Errors are returned as gRPC status errors (status.Code and
// apistatus.Reason work on them) unless documented otherwise.
package client
