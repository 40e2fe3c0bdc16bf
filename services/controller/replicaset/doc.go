// Package replicaset owns the ReplicaSet controller: it keeps the number
// of active pods that a ReplicaSet controls equal to spec.replicas.
//
//   - Pods are created from spec.template (generateName "<rs-name>-",
//     the template's labels and annotations, a controller owner reference
//     with blockOwnerDeletion) in slow-start rounds of 1, 2, 4, ... pods,
//     each round sent as Batch calls (chunks of BatchSize ops, several in
//     flight), so a broken template fails fast and a large one is written
//     in few Raft entries.
//   - Extra pods are deleted by rank: unscheduled before scheduled, Pending
//     before Unknown before Running, not ready before ready, ready for a
//     shorter time before longer, more restarts first, youngest first.
//     Every delete carries the pod's uid as a precondition.
//   - Matching orphan pods are adopted and owned pods that stop matching
//     the selector are released, both with resource_version preconditions.
//   - Expectations (services/controller/expectations) record the creates
//     and deletes of a sync; the next sync that would create or delete
//     waits until the pod cache has seen them all.
//   - Status: replicas (active pods), fullyLabeledReplicas, readyReplicas,
//     availableReplicas (ready for minReadySeconds; the key is re-queued
//     for the moment the next pod becomes available), observedGeneration,
//     and a ReplicaFailure condition while creates or deletes fail.
package replicaset
