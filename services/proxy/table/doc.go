// Package table owns the proxy's routing table: an immutable snapshot of
// every Service and the endpoints behind each of its ports, built by a pure
// function (Build) from Services and EndpointSlices, and the difference
// between two snapshots (Diff) that a dataplane applies.
//
// A Table, its Routes, Services and Endpoint slices are never modified after
// Build returns: readers on any goroutine (the dataplane, the ProxyService,
// cluster DNS) share them without locks, and must not modify them either.
//
// Which endpoints receive traffic (Route.Targets) follows Kubernetes
// (KEP-1669): the ready endpoints; when none is ready, the endpoints that are
// serving and terminating, so that connections still find a backend while a
// rollout drains the last old pods; otherwise none. An endpoint that is
// terminating is never counted as ready, whatever its ready condition says,
// so a pod that is going away never takes new traffic while a ready one
// exists. Conditions left unset follow the EndpointSlice API: ready unset is
// ready, serving unset is the ready value, terminating unset is false.
//
// Routes exist only for ports of Services with a cluster IP: a headless
// Service (clusterIP None) or one whose IP is not allocated yet has a
// Service entry (for DNS) but no routes. Endpoints are matched to a port by
// the port's name and protocol (named target ports were already resolved to
// numbers by the EndpointSlice controller); only each endpoint's first
// address is used, FQDN slices are ignored, and an address:port found in
// several slices counts once, with its best conditions.
package table
