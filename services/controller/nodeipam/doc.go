// Package nodeipam owns pod CIDR allocation: every Node gets
// spec.podCIDR (and podCIDRs) from the cluster CIDR, one subnet of
// NodeMaskSize bits each, handed out round-robin.
//
// A subnet is never given to two nodes: the used set is rebuilt from every
// Node the cache holds before the first allocation (and kept current from
// Node events), a subnet is reserved for a node name before the write and
// stays reserved for it until that Node is deleted (so a retried or
// uncertain write reuses it instead of taking another), and the write
// carries the Node's resource_version, so a stale view fails instead of
// overwriting. Deleting a Node releases its subnets.
package nodeipam
