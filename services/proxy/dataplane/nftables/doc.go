// Package nftables owns the kernel dataplane of `gantry proxy --mode
// nftables` (root only): DNAT rules in one ip-family table that the
// dataplane creates in New (replacing a table of the same name left by a
// run that did not close) and deletes in Close. It talks nf_tables netlink
// through github.com/google/nftables and never runs nft. IPv4 only.
//
// The table follows kube-proxy's nftables mode:
//
//	nat-prerouting, nat-output (nat, dstnat)   jump services
//	services     ip daddr . meta l4proto . th dport vmap @service-ips
//	             fib daddr type local, not 127/8: meta l4proto . th dport vmap @service-nodeports
//	svc-…        fib saddr type local jump mark-for-masquerade   (the host's own traffic)
//	             numgen random|inc mod N vmap { 0: goto ep-…, … }
//	ext-…        jump mark-for-masquerade; goto svc-…              (node port traffic)
//	ep-…         meta l4proto P dnat to IP:PORT
//	filter-prerouting, filter-output (filter, dstnat-10)
//	             ct state new: jump no-endpoints, whose maps no-endpoint-services
//	             and no-endpoint-nodeports goto reject-chain: tcp reset for TCP,
//	             ICMP port unreachable for the rest — refused at once
//	filter-forward   ct state new ct status dnat fib daddr . iif oif exists:
//	             jump mark-for-masquerade
//	nat-postrouting (srcnat)   masquerade (fully random) what carries the mark
//
// One chain per service port and per endpoint keeps every change local: a
// route's endpoints changing rewrites its service chain (flush and two
// rules), adds and deletes endpoint chains, and touches map elements only
// when the route gains or loses its last endpoint, its address or its node
// port. A route with no targets owns no chains, only no-endpoint elements.
//
// Bridged pods without br_netfilter: a pod reaches a cluster IP through
// its default gateway, the node's bridge, so the first packet is routed
// and DNATed in prerouting. The backend's answer, though, would go straight
// to a client on the same bridge (or to itself, hairpin) without passing
// the node, and so without the reverse DNAT. filter-forward catches those
// connections — the DNATed destination is reached through the interface
// the packet came in on — and masquerades them, so answers come back to
// the node. This holds for any DNAT on the host, not only the proxy's: the
// alternative, br_netfilter, is host-wide too. The host's own connections
// are masqueraded as well (so the source address the host picked for the
// cluster IP's route does not matter), and node port connections, so that
// answers from a backend behind another node would come back here.
//
// Apply turns a table.Changes into one transaction (one Flush), computed
// from the plan of each affected route — how it is carried now — rather
// than from ch.Old, so a change applied twice has nothing left to do the
// second time. Removals are queued before additions, so addresses and
// node ports move between services within a transaction. Two routes that
// claim one address or node port (the apiserver prevents it; the proxy
// does not trust it) are not both carried: the one that holds it keeps it,
// the other is reported by RouteStatus and planned again on every Apply.
// When a transaction fails the kernel keeps its previous state, but its
// outcome may be unknown (an answer lost), so the next Apply rewrites the
// table whole from ch.New.
//
// UDP: after a transaction, conntrack entries DNATed to endpoints that
// left, and entries sent to service addresses or node ports that got
// their first endpoints, are deleted (vishvananda/netlink), so the next
// datagram takes the rules afresh.
//
// Limits: the host needs a route covering the cluster IPs (a default route
// does) for its own connections; node ports are not served on loopback;
// session affinity is not carried (every route spreads); SCTP routes are
// carried like TCP and UDP.
package nftables
