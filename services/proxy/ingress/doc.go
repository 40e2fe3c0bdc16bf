// Package ingress is the ingress controller (networking.k8s.io/v1
// Ingress) that each node's proxy runs: HTTP and HTTPS listeners that route
// requests by host and path to the endpoints of services.
//
// It watches Ingresses and TLS Secrets (type kubernetes.io/tls only: the
// node never caches other secrets) and, after each burst of changes,
// builds an immutable snapshot (Routes, a pure function of the caches:
// Build) that requests read without locks. Only Ingresses whose
// ingressClassName is empty or Config.Class are served.
//
// Matching follows Kubernetes. A request's host (Host header, port and
// trailing dot dropped, case folded) selects the rules of that exact host,
// else those of the wildcard covering it (*.example.com covers
// a.example.com — one label — but neither example.com nor a.b.example.com),
// else those of rules without a host; within the group the longest
// matching path wins, Exact before Prefix at equal length. Prefix matches
// whole path elements (/foo matches /foo and /foo/bar, not /foobar) and
// ignores trailing slashes; ImplementationSpecific is served as Prefix.
// When nothing matches, the default backend (of the oldest Ingress that
// has one) gets the request; without one, 404. Conflicts go to the oldest
// Ingress. The request path is cleaned (/a/../b is /b) before matching,
// and the backend receives the cleaned path, so it cannot resolve a path
// to one the rules did not match.
//
// A backend is a service port, by the ServicePort's name or number,
// resolved at each request in the proxy's routing table (View): the port's
// traffic endpoints (ready ones, else serving terminating ones, as the
// dataplane). Requests are spread round robin per backend and sent with
// net/http/httputil.ReverseProxy, keeping the client's Host and setting
// X-Forwarded-For/Host/Proto/Port afresh; a dial error tries the next
// endpoint (at most MaxTries), which is safe because nothing was sent yet.
// A backend with no endpoint (or no such service or port) is 503; one
// whose endpoints cannot be reached is 502.
//
// HTTPS chooses the certificate by SNI (tls.Config.GetCertificate) from the
// spec.tls entries of the served Ingresses: exact host, then wildcard, then
// an entry without hosts (the default certificate); a handshake without a
// matching certificate fails. Secrets are parsed once per resource version,
// and a changed Secret is served from the next handshake on.
//
// Both listeners set SO_REUSEPORT, so every proxy that `gantry up` runs on
// one host serves the same ports (they all carry the same routes), and are
// bounded: header size, read/write/idle timeouts, connections per
// listener.
package ingress
