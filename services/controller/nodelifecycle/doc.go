// Package nodelifecycle owns node health and taint-based eviction, as
// Kubernetes' node lifecycle and taint eviction controllers do.
//
// Health is judged from each node's Lease (gantry-node-lease/<node>) by
// this controller's own clock: it notes when it saw the lease's
// renew_time (or the Ready condition's heartbeat) change, and never
// compares the node's clock with its own. After GracePeriod without such
// a change it sets the node's conditions to Unknown (NodeStatusUnknown).
// The NoExecute taints follow the Ready condition: node.gantry.io/unreachable
// while it is Unknown, node.gantry.io/not-ready while the agent reports
// False, none while True.
//
// The ready pods of a node that is not Ready are marked Ready=False
// (reason taints.PodNotReadyReason), once per spell and not while braked,
// so Services stop sending them traffic before any eviction; the node
// agent writes their real status again when it is back.
//
// Pods on a node with an active NoExecute taint are deleted when their
// tolerations run out, counted from the taint's time_added: at once
// without a toleration, never with one that has no tolerationSeconds.
//
// Two limits keep a sick control plane from evicting the world: new
// NoExecute taints on nodes that run pods are added at EvictionRate nodes
// per second (Kubernetes' --node-eviction-rate, a token bucket of one;
// tainting an empty node evicts nothing and takes no token), and when
// more than
// UnhealthyThreshold of the nodes (or all of them) look unhealthy, no
// taint is added and no pod evicted until that changes (the brake).
//
// A controller that starts leading gives every node a fresh grace period,
// and the unreachable taint only evicts while this controller itself sees
// the node's lease stale: a taint left by a previous leader does not
// evict pods from a node that is alive.
package nodelifecycle
