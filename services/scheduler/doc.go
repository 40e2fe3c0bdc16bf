// Package scheduler owns placing pods on nodes: the `gantry scheduler`
// process with its informers on pods and nodes, the cache of node
// allocations (cache/), the scheduling queue (queue/), the Filter and Score
// plugins (framework/), the binder that binds many pods per Bind call, the
// writer of the PodScheduled=False condition for pods that fit nowhere,
// leader election, and the SchedulerService (Status, Explain) with health,
// reflection, /healthz and /metrics.
//
// Every replica keeps its informers, cache and queue warm and answers
// Status and Explain; only the replica holding the Lease
// gantry-system/gantry-scheduler schedules. When it loses the lease, Run
// returns an error wrapping leaderelect.ErrLost and the process exits.
// Correctness never rests on the lease: a Bind succeeds only for a pod that
// is still unbound (and has the uid the scheduler saw), so two replicas
// can never bind one pod twice.
//
// The pods this scheduler handles have an empty spec.nodeName, no
// deletionTimestamp, and spec.schedulerName equal to Config.SchedulerName;
// every other pending pod is left alone. See DESIGN.md for the flow.
package scheduler
