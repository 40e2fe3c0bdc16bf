// Package userspace owns the userspace dataplane: TCP and UDP relays inside
// the proxy process, which need no privileges. Without root nothing can
// answer on a cluster IP, so each service port is served on a local
// address instead:
//
//   - on Config.Address at the service's own port (127.0.0.1:8080 for a
//     service on port 8080) when this proxy has not given that port to
//     another service and the bind succeeds; otherwise at a port the
//     kernel picks (privileged ports without root, ports used by other
//     processes, two services on one port). A route keeps the port it got
//     while it lives; ProxyService.Routes shows where each route listens.
//   - on Config.NodePortAddress at the node port, for NodePort services.
//     Node port sockets set SO_REUSEPORT: node ports are unique in the
//     cluster, so the proxies of several nodes on one host (gantry up) may
//     all serve one, and the kernel spreads connections between them.
//
// Each new TCP connection goes to the next target in round-robin order; a
// failed dial (bounded by DialTimeout) moves on to the next target, and when
// every target fails the client is reset. A route without targets stops
// listening but keeps its port (on Linux the listening socket is shut down
// and listens again when targets come back), so new connections are refused
// by the kernel at once, as an nftables REJECT would; elsewhere connections
// are accepted and reset at once. When an endpoint leaves a route, or stops
// serving (not ready, not terminating), the connections to it are closed;
// an endpoint that is terminating but still serving keeps its connections
// (it drains them, as conntrack lets it under nftables) but gets no new
// ones while another endpoint is ready.
//
// UDP is relayed per client address: a session holds a connected socket to
// one target, chosen round robin, and carries the target's replies back
// from the service's socket. Sessions end after UDPIdleTimeout without
// traffic, when their target leaves, or when the target refuses
// (ICMP port unreachable) — the client's next datagram picks another target.
// Datagrams for a route without targets, or beyond MaxUDPSessions, are
// dropped and counted.
//
// Bounds: MaxConns TCP connections at once (over the limit, new ones are
// reset), BufferSize per direction where the kernel cannot splice,
// DialTimeout per dial, MaxUDPSessions, MaxDatagram bytes per datagram.
// Session affinity is not implemented in this mode (every route is
// round robin); SCTP routes are reported as not carried.
package userspace
