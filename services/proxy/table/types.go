package table

import (
	"net/netip"
	"slices"
	"strings"
)

// Protocol is a service port's protocol.
type Protocol string

// The protocols of a service port.
const (
	TCP  Protocol = "TCP"
	UDP  Protocol = "UDP"
	SCTP Protocol = "SCTP"
)

// ServiceKey names a Service.
type ServiceKey struct {
	Namespace, Name string
}

func (k ServiceKey) String() string { return k.Namespace + "/" + k.Name }

// PortKey names one port of a Service (kube-proxy's ServicePortName).
type PortKey struct {
	ServiceKey
	// Port is the ServicePort's name ("" for an unnamed port).
	Port     string
	Protocol Protocol
}

// String is "namespace/name:port/PROTOCOL", or "namespace/name/PROTOCOL"
// for an unnamed port.
func (k PortKey) String() string {
	var b strings.Builder
	b.WriteString(k.Namespace)
	b.WriteByte('/')
	b.WriteString(k.Name)
	if k.Port != "" {
		b.WriteByte(':')
		b.WriteString(k.Port)
	}
	b.WriteByte('/')
	b.WriteString(string(k.Protocol))
	return b.String()
}

// Compare orders keys by namespace, name, port name, protocol.
func (k PortKey) Compare(o PortKey) int {
	if c := strings.Compare(k.Namespace, o.Namespace); c != 0 {
		return c
	}
	if c := strings.Compare(k.Name, o.Name); c != 0 {
		return c
	}
	if c := strings.Compare(k.Port, o.Port); c != 0 {
		return c
	}
	return strings.Compare(string(k.Protocol), string(o.Protocol))
}

// Endpoint is one backend of a service port (for Service.Endpoints of a
// headless service, Addr's port is 0).
type Endpoint struct {
	Addr netip.AddrPort
	// Ready, Serving and Terminating are the endpoint's conditions with
	// the API's defaults applied (see the package comment).
	Ready, Serving, Terminating bool
	// Node is the endpoint's node ("" when the slice does not say).
	Node string
	// Hostname is the endpoint's DNS hostname, if any; Target names the
	// object behind it (a pod), if any.
	Hostname, Target string
}

// Route is one service port with its endpoints: what a dataplane carries.
type Route struct {
	Key PortKey
	// ClusterIP is the service's virtual IP; invalid for the ports of a
	// headless service (which are never routes of a Table).
	ClusterIP netip.Addr
	Port      uint16
	// NodePort is the port every node serves the route on (0: none).
	NodePort uint16
	// SessionAffinity is "None" or "ClientIP".
	SessionAffinity string
	// Endpoints are every endpoint of the port, sorted by address.
	Endpoints []Endpoint
	// Targets are the endpoints that receive traffic (see the package
	// comment), sorted by address.
	Targets []Endpoint
}

// Equal reports whether two routes carry the same traffic the same way.
func (r *Route) Equal(o *Route) bool {
	if r == o {
		return true
	}
	if r == nil || o == nil {
		return false
	}
	return r.Key == o.Key && r.ClusterIP == o.ClusterIP && r.Port == o.Port && r.NodePort == o.NodePort &&
		r.SessionAffinity == o.SessionAffinity && slices.Equal(r.Endpoints, o.Endpoints)
}

// TargetAddrs returns the addresses of the targets.
func (r *Route) TargetAddrs() []netip.AddrPort {
	out := make([]netip.AddrPort, len(r.Targets))
	for i, e := range r.Targets {
		out[i] = e.Addr
	}
	return out
}

// Service is one Service as the proxy sees it (for DNS and status).
type Service struct {
	Key ServiceKey
	// Type is ClusterIP or NodePort.
	Type string
	// ClusterIP is invalid when the service is headless or its IP is not
	// allocated yet.
	ClusterIP netip.Addr
	Headless  bool
	// Ports are the service's ports in spec order; for a service with a
	// cluster IP they are the very routes of the table.
	Ports []*Route
	// Endpoints of a headless service: every address of its slices, port
	// 0, sorted; nil for other services (their endpoints are per port).
	Endpoints []Endpoint
}

// Table is an immutable routing snapshot; a nil *Table is empty.
type Table struct {
	routes   map[PortKey]*Route
	sorted   []*Route
	services map[ServiceKey]*Service
	ssorted  []*Service
	nEps     int
}

// Route returns the route of one service port.
func (t *Table) Route(k PortKey) (*Route, bool) {
	if t == nil {
		return nil, false
	}
	r, ok := t.routes[k]
	return r, ok
}

// Routes returns every route, sorted by key. The slice is shared: do not
// modify it.
func (t *Table) Routes() []*Route {
	if t == nil {
		return nil
	}
	return t.sorted
}

// Service returns one service.
func (t *Table) Service(k ServiceKey) (*Service, bool) {
	if t == nil {
		return nil, false
	}
	s, ok := t.services[k]
	return s, ok
}

// Services returns every service, sorted by key. The slice is shared: do
// not modify it.
func (t *Table) Services() []*Service {
	if t == nil {
		return nil
	}
	return t.ssorted
}

// Len returns the number of routes.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.sorted)
}

// EndpointCount returns the number of endpoints over every route.
func (t *Table) EndpointCount() int {
	if t == nil {
		return 0
	}
	return t.nEps
}
