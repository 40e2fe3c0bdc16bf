// Package nodeagent owns the node agent (Gantry's kubelet): it registers
// its Node, renews its Lease, watches the pods bound to it, runs them
// through a runtime (process, or simulated for hollow nodes), reports their
// status in batches, and serves NodeAgentService (status, container
// logs, exec) for the apiserver's PodService to proxy to. With Simulate > 0
// one agent process plays that many hollow nodes through one pod watch.
//
// Subpackages: runtime (interface, process, simulated), podworker (one
// worker per pod), admit (does a pod fit), status (batched status writes
// and deletes), lease (node leases), nodestatus (Node registration and
// heartbeat), network (per-pod network namespaces through CNI).
package nodeagent
