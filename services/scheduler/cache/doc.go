// Package cache owns the scheduler's view of node allocations: every
// node's NodeInfo with the requests of the pods bound to it (from the pod
// informer) and of the pods this scheduler has assumed onto it but whose
// binding the API has not confirmed yet.
//
// Lifecycle of a scheduled pod: Assume (the scheduler picked a node; the
// node's resources count the pod at once, so the next pod sees them) ->
// the binder's Bind call -> either Forget (the bind failed; the resources
// are released) or AddPod from the informer's event showing the pod bound,
// which confirms the assumption. A pod the informer shows on another node
// than assumed (a second scheduler bound it) moves there.
//
// All methods are safe for concurrent use. View runs a function over the
// nodes under the read lock, so the scheduling loop and Explain see a
// consistent state without copying it.
package cache
