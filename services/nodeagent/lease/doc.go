// Package lease owns node liveness: one Lease per node in namespace
// gantry-node-lease, named after the node and held by it, renewed every
// few seconds with resource_version preconditions. One Renewer serves any
// number of nodes (a simulating agent has a thousand): renewals are spread
// over the interval and written in Batch calls.
package lease
