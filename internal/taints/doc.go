// Package taints owns the node lifecycle taints (node.gantry.io/not-ready
// and node.gantry.io/unreachable, NoExecute) and Kubernetes' rules for
// matching tolerations to taints, shared by the apiserver's default
// tolerations and the node lifecycle controller's evictions.
//
// Kubernetes' names of the two taints (node.kubernetes.io/not-ready and
// node.kubernetes.io/unreachable) count as aliases in a pod's
// tolerations, so a Kubernetes manifest that tolerates them keeps its
// meaning on Gantry.
package taints
