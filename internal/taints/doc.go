// Package taints owns the node lifecycle taints (node.gantry.io/not-ready
// and node.gantry.io/unreachable, NoExecute) and Kubernetes' rules for
// matching tolerations to taints, shared by the apiserver's default
// tolerations and the node lifecycle controller's evictions, and the
// reason with which that controller marks the pods of a lost node not
// ready (which the node agent overwrites when it is back).
//
// Kubernetes' names of the two taints (node.kubernetes.io/not-ready and
// node.kubernetes.io/unreachable) count as aliases in a pod's
// tolerations, so a Kubernetes manifest that tolerates them keeps its
// meaning on Gantry.
package taints
