package ingress

import (
	"errors"
	"fmt"

	"github.com/gantryio/gantry/services/proxy/table"
)

// View is the proxy's routing table, read at every request so that a
// request goes to the endpoints the node knows now.
type View interface {
	Table() *table.Table
}

// errNoEndpoints is wrapped when a backend has nothing to send traffic to.
var errNoEndpoints = errors.New("no ready endpoints")

// String names the backend as "namespace/service:port".
func (b *Backend) String() string {
	if b.PortName != "" {
		return fmt.Sprintf("%s:%s", b.Service, b.PortName)
	}
	return fmt.Sprintf("%s:%d", b.Service, b.PortNumber)
}

// resolve finds the backend's service port in t: by the ServicePort's name,
// or its number; TCP only.
func (b *Backend) resolve(t *table.Table) (*table.Route, error) {
	svc, ok := t.Service(b.Service)
	if !ok {
		return nil, fmt.Errorf("service %s: %w (no such service)", b.Service, errNoEndpoints)
	}
	for _, r := range svc.Ports {
		if r.Key.Protocol != table.TCP {
			continue
		}
		if (b.PortName != "" && r.Key.Port == b.PortName) || (b.PortName == "" && int32(r.Port) == b.PortNumber) {
			if len(r.Targets) == 0 {
				return r, fmt.Errorf("service %s: %w", b, errNoEndpoints)
			}
			return r, nil
		}
	}
	return nil, fmt.Errorf("service %s: %w (the service has no such TCP port)", b, errNoEndpoints)
}

// candidates returns up to n target addresses of r to try in order,
// starting at the backend's next one (round robin).
func (b *Backend) candidates(r *table.Route, n int) []string {
	ts := r.Targets
	n = min(n, len(ts))
	if n == 0 {
		return nil
	}
	start := int((b.next.Add(1) - 1) % uint64(len(ts)))
	out := make([]string, n)
	for i := range out {
		out[i] = ts[(start+i)%len(ts)].Addr.String()
	}
	return out
}

// Endpoints returns the addresses requests to the backend go to in t, or
// why they get 503.
func (b *Backend) Endpoints(t *table.Table) (addrs []string, reason string) {
	r, err := b.resolve(t)
	if err != nil {
		return nil, err.Error()
	}
	for _, a := range r.TargetAddrs() {
		addrs = append(addrs, a.String())
	}
	return addrs, ""
}
