// Package network owns pod networking as Kubernetes defines it: every pod
// has its own network namespace and IP, and pods reach each other without
// NAT. Each pod's namespace (/var/run/netns/gantry-<uid>) is attached to a
// per-node Linux bridge (gantry-<node>) by the standard CNI plugins —
// bridge, host-local IPAM over the node's podCIDR, loopback — driven
// through libcni. The bridge is the pods' gateway; its address is in the
// host's routing table, so pods on the bridges of several nodes on one
// machine reach each other through the host. Pod routes cover only the
// cluster CIDR and the Service CIDR (whose cluster IPs the node's proxy
// answers on the host): pods send nothing elsewhere.
package network
