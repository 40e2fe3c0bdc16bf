// Package deployment owns the Deployment controller: it rolls a
// Deployment's pod template out through one ReplicaSet per template.
//
//   - ReplicaSets: the new one is named "<deployment>-<hash>" where hash is
//     the FNV-32a hash of the template (deterministic protobuf encoding,
//     plus status.collisionCount), encoded with apimachinery's
//     SafeEncodeString as Kubernetes does; the label pod-template-hash=<hash>
//     is added to its selector, its template and so to its pods. Which
//     ReplicaSet is "new" is decided by comparing templates without that
//     label, so a hash that changed between versions never causes a
//     rollout. ReplicaSets carry deployment.kubernetes.io/revision,
//     desired-replicas and max-replicas annotations; the Deployment carries
//     the revision of its new ReplicaSet.
//   - RollingUpdate follows Kubernetes' algorithm with maxSurge (rounded
//     up) and maxUnavailable (rounded down; both 0 means maxUnavailable 1),
//     integers or percentages. Decisions use the pod cache, not ReplicaSet
//     status: a ReplicaSet counts as max(spec.replicas, active pods) towards
//     the surge bound and as min(available pods, spec.replicas) towards the
//     availability bound, so a lagging ReplicaSet status or a deletion the
//     ReplicaSet controller has not carried out yet can never push a
//     rollout past its bounds. Every ReplicaSet write carries the cached
//     resource_version, so a decision made on a stale cache fails and is
//     retried.
//   - Recreate scales every old ReplicaSet to 0, waits until none of their
//     pods runs (terminating ones included), then scales the new one up.
//   - Scaling a Deployment mid-rollout scales its active ReplicaSets
//     proportionally (Kubernetes' max-replicas annotation algorithm).
//   - Paused Deployments are scaled but not rolled out; Progressing is
//     Unknown/DeploymentPaused while paused.
//   - revisionHistoryLimit: old ReplicaSets with no replicas and no pods,
//     beyond the limit, are deleted oldest revision first.
//   - Status: observedGeneration, replicas (active pods), updatedReplicas
//     (active pods of the new ReplicaSet), readyReplicas,
//     availableReplicas (ready for minReadySeconds), unavailableReplicas
//     (sum of ReplicaSet replicas minus available), conditions Available
//     (MinimumReplicasAvailable / MinimumReplicasUnavailable) and
//     Progressing (NewReplicaSetCreated, FoundNewReplicaSet,
//     ReplicaSetUpdated, NewReplicaSetAvailable when done,
//     ProgressDeadlineExceeded after progressDeadlineSeconds without
//     progress), and ReplicaFailure copied from the ReplicaSets.
//
// Rollback is done by clients, as kubectl rollout undo does:
// internal/deployutil's Rollback copies the template of the ReplicaSet of
// the wanted revision into the Deployment, which the client then Updates
// with the resource_version it read; the controller sees a template equal to an
// existing ReplicaSet's, makes that ReplicaSet the new one and gives it
// the next revision.
package deployment
