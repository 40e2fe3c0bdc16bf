// Package dataplane owns the contract between the proxy's sync loop and the
// mechanisms that carry its routing table: userspace (TCP/UDP relays in the
// proxy process, no privileges needed) and nftables (kernel DNAT rules, as
// root). The proxy builds an immutable table.Table, diffs it against the
// last table a dataplane accepted, and hands the table.Changes to Apply.
package dataplane
