// Package disruption owns PodDisruptionBudget status: how many of a
// budget's pods are expected and healthy, how many must stay healthy, and
// so how many disruptions (evictions) are allowed now. The apiserver's
// Eviction call spends those disruptions and records the evicted pods in
// disruptedPods; this controller forgets them once it sees them deleted,
// or after DeletionTimeout (Kubernetes' disruption controller).
package disruption
