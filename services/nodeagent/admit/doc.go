// Package admit owns the node agent's admission of pods: it refuses a pod
// that does not fit the node — requests beyond what is allocatable after
// the pods already admitted, more pods than the node takes, host ports in
// use, or a node selector the node does not match — with the reasons and
// messages the kubelet uses (OutOfcpu, OutOfmemory, OutOfpods, NodePorts,
// NodeAffinity). The scheduler is not trusted blindly: two schedulers, or
// one with a stale cache, can bind more than fits.
package admit
