// Package queue owns the scheduler's queue of pods waiting for a node, as
// Kubernetes' scheduling queue does it:
//
//   - active: a heap of pods ready for an attempt, highest spec.priority
//     first, then first in, first out;
//   - backoff: pods whose last attempt failed wait there for their per-pod
//     exponential backoff (1 s, 2 s, 4 s, ... up to 10 s) before they
//     become active again;
//   - unschedulable: pods that fit no node wait there, without any
//     polling, until a cluster event that may help them (a node added or
//     changed, a bound pod deleted) moves them back, or until they have
//     waited a minute (a safety flush, as Kubernetes does).
//
// Each unschedulable pod remembers which filters rejected it, and an event
// names the filters it may turn around, so a node's new labels do not
// retry pods that lacked cpu. A pod being scheduled (popped, not yet
// reported back) is "in flight": events and updates during its attempt are
// recorded so that a failure right after them goes to backoff rather than
// to the unschedulable pool, where it might wait for an event that has
// already happened.
//
// Time comes from an injected clock.Clock, so tests need no sleeps.
package queue
