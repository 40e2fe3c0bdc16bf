// Package eventgc owns the expiry of Events: on the leading master it
// deletes Events older than a TTL (kube-apiserver's --event-ttl, 1 h) and,
// past a cap on their number, the oldest ones, so recorded events never
// grow the store without limit.
//
// Only the leader sweeps, from its own store (current after the election
// barrier), and it decides by its own clock before proposing anything:
// Apply stays deterministic. Each delete carries the Event's uid and
// resource_version as preconditions, so an Event bumped (count+1) after
// the sweep looked at it is not deleted — the next sweep judges it again.
// A new leader just starts sweeping: a delete that lands twice fails with
// NOT_FOUND, which is what it wanted.
//
// An Event's age is counted from the latest of its lastTimestamp,
// eventTime and creationTimestamp, so a repeating event lives on while it
// repeats, as an etcd lease refreshed on each update does in Kubernetes.
package eventgc
