// Package proxy owns the service proxy (`gantry proxy`), one per node: it
// watches Services and EndpointSlices (informers), builds an immutable
// routing table from the caches (package table) at most once per
// MinSyncPeriod, diffs it against the table the dataplane carries and
// applies only the difference (package dataplane: userspace relays, or
// nftables rules as root). It serves gantry.v1.ProxyService (Status,
// Routes) with gRPC health and reflection on Listen, and /healthz and
// /metrics on HTTPListen.
//
// The sync loop is the only writer: informer handlers only mark the table
// dirty, so a burst of events costs one rebuild. A rebuild is a pure
// function of the two caches; what changed is found by table.Diff, not
// tracked event by event, so no event can be lost between them. When the
// dataplane fails to apply a diff, the loop keeps the last table the
// dataplane accepted and retries with backoff, diffing from it again
// (dataplane operations are idempotent).
//
// Other node-local services (cluster DNS, ingress) read the routing table
// through Proxy.Table (the latest snapshot built, shared and immutable; its
// Services include headless ones with their endpoints) and learn of new
// ones through Proxy.Watch.
// The proxy runs cluster DNS itself (package dns) when Config.DNS.Listen
// is set; a listen host "bridge" is the node's pod-CIDR gateway, read
// from its Node (clusterdns.go).
//
// The proxy is stateless: on restart it lists everything again and the
// first diff is against an empty table.
package proxy
