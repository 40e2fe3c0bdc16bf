// Package podworker owns the lifecycle of the pods bound to one node: one
// worker goroutine per pod serialises everything done to it — admission,
// its sandbox, starting and restarting containers by its restart policy
// with exponential back-off (CrashLoopBackOff), graceful termination, the
// final delete — and derives the pod's status (phase, conditions,
// container states) from what the runtime reports and what the prober
// says: readiness decides a container's ready flag, a failed liveness or
// startup probe gets the container killed and restarted by the policy. Statuses go to a sink
// that batches them; the manager only routes informer events and runtime
// exit notifications to workers.
package podworker
