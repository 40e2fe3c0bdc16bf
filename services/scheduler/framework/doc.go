// Package framework owns the scheduler's per-node and per-pod views
// (NodeInfo, PodInfo), the Filter and Score plugins, and the algorithm that
// runs them: filter nodes (sampling a share of a large cluster, as
// Kubernetes' percentageOfNodesToScore does), score the feasible ones,
// pick the best with ties broken at random, and summarise why a pod fits
// nowhere in Kubernetes' words ("0/3 nodes are available: ...").
//
// Everything here is pure computation over values the caller owns: no
// locks, no I/O. NodeInfo and PodInfo precompute what plugins need
// (parsed quantities, tolerations of well-known taints, reason strings),
// so filtering a node allocates nothing.
package framework
