// Package dns owns cluster DNS: an authoritative server for the cluster
// domain (cluster.local), run by each node's proxy and answered from the
// proxy's routing table — the one built from its Service and EndpointSlice
// informers (View) — so it needs no watch of its own and answers what the
// node routes.
//
// Records follow the Kubernetes DNS schema (1.1.0): NAME.NS.svc.<zone> A
// is the cluster IP, or for a headless service its ready endpoints (all of
// them, shuffled; publishNotReadyAddresses works through the EndpointSlice
// controller, which marks such endpoints ready);
// HOST.NAME.NS.svc.<zone> A is a headless endpoint, HOST being its
// hostname or its address with dashes (10-244-1-5);
// _PORT._PROTO.NAME.NS.svc.<zone> SRV names the service (port: the service
// port) or each ready headless endpoint (port: the endpoint's), with the
// targets' addresses as additional records; PTR names the cluster IPs and
// ready headless endpoints; dns-version.<zone> TXT is the schema version.
// Names are matched case-insensitively. A name of the zone that does not
// exist is NXDOMAIN; one that exists without records of the asked type
// (AAAA of an IPv4 service, NAMESPACE.svc.<zone>, ...) is NODATA: NOERROR,
// no answer, the SOA in the authority section. Every TTL, the negative one
// too, is Config.TTL. Before the proxy's caches have synced, the zone is
// answered SERVFAIL (nothing is yet known not to exist).
//
// Names outside the zone are forwarded to Config.Upstream — by default the
// host's resolvers from /etc/resolv.conf, re-read when it changes — over
// the transport the client used, at most MaxUpstreamQueries at a time; an
// empty Upstream answers them REFUSED (the server is then authoritative
// only). PTR names of addresses the zone does not know are forwarded too.
//
// The server is never an open resolver: it listens only on the addresses
// it is given (IP literals; the unspecified address is refused; a host
// that is not an IP, such as the proxy's "bridge", is resolved by
// Deps.Resolve), and answers only clients from loopback, from the subnet
// of a resolved listen host, and from Config.Clients; others are REFUSED.
// It serves UDP and TCP on each address; UDP answers are capped at 512
// bytes, or the client's EDNS0 size up to MaxUDPSize, and set TC when
// answer records had to be left out. Queries in flight (MaxQueries),
// forwarded queries (MaxUpstreamQueries) and TCP connections (MaxTCPConns)
// are bounded.
package dns
