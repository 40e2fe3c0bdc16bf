// Package servicenet owns the address ranges Services are given addresses
// from — the cluster IP range (--service-cluster-ip-range) and the node
// port range (--service-node-port-range) — and the bitmap the store
// allocates them with. It decides nothing by itself: the store calls it
// inside Apply, so every master makes the same choice.
package servicenet
