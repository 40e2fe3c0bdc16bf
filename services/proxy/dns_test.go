package proxy

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/table"
	mdns "github.com/miekg/dns"
)

// lookup asks the proxy's DNS at addr for name/qtype and renders the
// answer's data sorted ("NXDOMAIN" for a name error).
func lookup(addr, name string, qtype uint16) ([]string, error) {
	q := new(mdns.Msg)
	q.SetQuestion(name, qtype)
	m, _, err := (&mdns.Client{Timeout: 2 * time.Second}).Exchange(q, addr)
	if err != nil {
		return nil, err
	}
	if m.Rcode != mdns.RcodeSuccess {
		return []string{mdns.RcodeToString[m.Rcode]}, nil
	}
	out := []string{}
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *mdns.A:
			out = append(out, rr.A.String())
		case *mdns.SRV:
			out = append(out, fmt.Sprintf("%d %s", rr.Port, rr.Target))
		}
	}
	slices.Sort(out)
	return out, nil
}

func expectLookup(t *testing.T, addr, name string, qtype uint16, want ...string) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() error {
		got, err := lookup(addr, name, qtype)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s %s = %q, want %q", name, mdns.TypeToString[qtype], got, want)
		}
		return nil
	})
}

func dnsAddrs(t *testing.T, p *Proxy, n int) []string {
	t.Helper()
	var out []string
	testutil.Eventually(t, 10*time.Second, func() error {
		out = out[:0]
		for _, a := range p.DNS().Addrs() {
			out = append(out, a.String())
		}
		if len(out) < n {
			return fmt.Errorf("DNS bound on %v, want %d addresses", out, n)
		}
		return nil
	})
	return out
}

// TestClusterDNS runs the proxy's DNS against an in-process cluster:
// Services and EndpointSlices written by the test are answered, and
// follow their changes.
func TestClusterDNS(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DNS.Listen, c.DNS.Upstream = []string{"127.0.0.1:0"}, nil })
	addr := dnsAddrs(t, e.p, 1)[0]
	e.create(webService(freePort(t), 0))
	e.create(backendSlice("web-a", "10.244.1.5:8080", true))
	expectLookup(t, addr, "web.default.svc.cluster.local.", mdns.TypeA, "10.96.7.7")
	expectLookup(t, addr, "_http._tcp.web.default.svc.cluster.local.", mdns.TypeSRV, fmt.Sprint(e.route0Port(t), " web.default.svc.cluster.local."))

	pn, proto, port := "pg", "TCP", int32(5432)
	e.create(&gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "db"},
		Spec: &gantryv1.ServiceSpec{ClusterIp: table.ClusterIPNone, Ports: []*gantryv1.ServicePort{{Name: pn, Protocol: proto, Port: port}}}})
	ready, notReady := true, false
	db := &gantryv1.EndpointSlice{
		Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: "db-x", Labels: map[string]string{table.ServiceNameLabel: "db"}},
		AddressType: "IPv4", Ports: []*gantryv1.EndpointPort{{Name: &pn, Protocol: &proto, Port: &port}},
		Endpoints: []*gantryv1.Endpoint{
			{Addresses: []string{"10.244.1.10"}, Hostname: "db-0", Conditions: &gantryv1.EndpointConditions{Ready: &ready}},
			{Addresses: []string{"10.244.1.11"}, Conditions: &gantryv1.EndpointConditions{Ready: &ready}},
			{Addresses: []string{"10.244.1.12"}, Conditions: &gantryv1.EndpointConditions{Ready: &notReady}},
		},
	}
	e.create(db)
	expectLookup(t, addr, "db.default.svc.cluster.local.", mdns.TypeA, "10.244.1.10", "10.244.1.11")
	expectLookup(t, addr, "db-0.db.default.svc.cluster.local.", mdns.TypeA, "10.244.1.10")
	expectLookup(t, addr, "_pg._tcp.db.default.svc.cluster.local.", mdns.TypeSRV,
		"5432 10-244-1-11.db.default.svc.cluster.local.", "5432 db-0.db.default.svc.cluster.local.")

	// An endpoint turning ready is answered; a deleted service is gone.
	db.Endpoints[2].Conditions.Ready = &ready
	e.update(db)
	expectLookup(t, addr, "db.default.svc.cluster.local.", mdns.TypeA, "10.244.1.10", "10.244.1.11", "10.244.1.12")
	e.delete(apimeta.KindService, "web")
	expectLookup(t, addr, "web.default.svc.cluster.local.", mdns.TypeA, "NXDOMAIN")
	expectLookup(t, addr, "example.com.", mdns.TypeA, "REFUSED")
}

// route0Port is the port of the web service's route.
func (e *env) route0Port(t *testing.T) int32 {
	var port int32
	testutil.Eventually(t, 10*time.Second, func() error {
		r, err := e.route("web")
		if err != nil || r == nil {
			return fmt.Errorf("route: %v %v", r, err)
		}
		port = r.GetPort()
		return nil
	})
	return port
}

// TestClusterDNSBridge: a "bridge" listen address waits for the Node's pod
// CIDR and serves on its first address (here a loopback CIDR, so that the
// test needs no bridge).
func TestClusterDNSBridge(t *testing.T) {
	port := freePort(t)
	e := newEnv(t, func(c *Config) {
		c.DNS.Listen, c.DNS.Upstream = []string{"127.0.0.1:0", fmt.Sprintf("%s:%d", DNSBridgeHost, port)}, nil
	})
	dnsAddrs(t, e.p, 1)
	if n := len(e.p.DNS().Addrs()); n != 1 {
		t.Fatalf("%d addresses bound before the node has a pod CIDR, want 1", n)
	}
	e.create(&gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: "n1"}, Spec: &gantryv1.NodeSpec{PodCidr: "127.0.77.0/24"}})
	addrs := dnsAddrs(t, e.p, 2)
	want := fmt.Sprintf("127.0.77.1:%d", port)
	if addrs[1] != want {
		t.Fatalf("bridge DNS on %s, want %s", addrs[1], want)
	}
	e.create(webService(freePort(t), 0))
	expectLookup(t, want, "web.default.svc.cluster.local.", mdns.TypeA, "10.96.7.7")
}

func TestClusterDNSConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.NodeName, cfg.Mode = "n1", ModeUserspace
	cfg.DNS.Listen = []string{"node:53"}
	if _, err := New(cfg, Deps{Client: &client.Client{}}, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("New with DNS host %q: %v, want ErrConfig", "node", err)
	}
}
