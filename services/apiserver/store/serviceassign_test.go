package store

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/servicenet"
)

func svcObj(ns, name, typ, ip string, ports ...*gantryv1.ServicePort) *gantryv1.Object {
	if len(ports) == 0 {
		ports = []*gantryv1.ServicePort{{Name: "http", Port: 80, Protocol: "TCP"}}
	}
	return apimeta.Wrap(&gantryv1.Service{Metadata: meta(ns, name),
		Spec: &gantryv1.ServiceSpec{Type: typ, ClusterIp: ip, Ports: ports, Selector: map[string]string{"app": name}}})
}

// withRanges stamps op with ranges, as the leader does.
func withRanges(op *storagev1.Op, cidr, ports string) *storagev1.Op {
	r, err := servicenet.Parse(cidr, ports)
	if err != nil {
		panic(err)
	}
	op.ServiceNetwork = r.Proto()
	return op
}

func serviceHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.mustApply(createOp(nsObj("default")), createOp(nsObj("other")))
	return h
}

// wantFieldErr checks that a result failed with sentinel, naming field
// and saying what.
func wantFieldErr(t *testing.T, r Result, sentinel error, field, what string) {
	t.Helper()
	if !errors.Is(r.Err, sentinel) || !strings.Contains(r.Err.Error(), field) || !strings.Contains(r.Err.Error(), what) {
		t.Fatalf("result error %v; want %v naming %s and saying %q", r.Err, sentinel, field, what)
	}
}

func clusterIP(o *gantryv1.Object) string { return o.GetService().GetSpec().GetClusterIp() }

func nodePorts(o *gantryv1.Object) []int32 {
	var out []int32
	for _, p := range o.GetService().GetSpec().GetPorts() {
		out = append(out, p.GetNodePort())
	}
	return out
}

func TestServiceClusterIPAllocated(t *testing.T) {
	h := serviceHarness(t)
	prefix := netip.MustParsePrefix("10.96.0.0/16")
	seen := map[string]string{}
	for i := 0; i < 200; i++ {
		name := fmt.Sprintf("s%d", i)
		o := h.mustApply1(createOp(svcObj("default", name, "ClusterIP", "")))
		ip := clusterIP(o)
		a, err := netip.ParseAddr(ip)
		if err != nil || !prefix.Contains(a) {
			t.Fatalf("%s got %q, not in %s", name, ip, prefix)
		}
		// The dynamic band starts 256 addresses in: 10.96.1.1 and up.
		if a.Less(netip.MustParseAddr("10.96.1.1")) || a == netip.MustParseAddr("10.96.255.255") {
			t.Fatalf("%s got %s: in the static band, or the broadcast address", name, ip)
		}
		if prev, dup := seen[ip]; dup {
			t.Fatalf("%s got %s, already %s's", name, ip, prev)
		}
		seen[ip] = name
		if ips := o.GetService().GetSpec().GetClusterIps(); len(ips) != 1 || ips[0] != ip {
			t.Fatalf("%s clusterIPs %v, want [%s]", name, ips, ip)
		}
		if got := clusterIP(h.get(apimeta.KindService, "default", name)); got != ip {
			t.Fatalf("stored %s has %q, create answered %q", name, got, ip)
		}
	}
}

func TestServiceClusterIPRequested(t *testing.T) {
	h := serviceHarness(t)
	if got := clusterIP(h.mustApply1(createOp(svcObj("default", "dns", "", "10.96.0.10")))); got != "10.96.0.10" {
		t.Fatalf("requested 10.96.0.10, got %q", got)
	}
	cases := []struct{ ns, name, ip, what string }{
		{"other", "dup", "10.96.0.10", "provided IP is already allocated"},
		{"default", "out", "10.97.0.1", "provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16"},
		{"default", "network", "10.96.0.0", "not in the valid range"},
		{"default", "broadcast", "10.96.255.255", "not in the valid range"},
		{"default", "first", "10.96.0.1", "reserved for the API server's own Service (default/kubernetes)"},
		{"other", "kubernetes", "10.96.0.1", "reserved"},
		{"default", "v6", "fd00::1", "must be a valid IPv4 address"},
	}
	for _, c := range cases {
		res, _ := h.apply(createOp(svcObj(c.ns, c.name, "", c.ip)))
		wantFieldErr(t, res[0], ErrInvalid, "spec.clusterIP", c.what)
		if !strings.Contains(res[0].Err.Error(), fmt.Sprintf("Service %q is invalid", c.name)) {
			t.Fatalf("error %q does not name the Service", res[0].Err)
		}
		h.absent(apimeta.KindService, c.ns, c.name)
	}
	if got := clusterIP(h.mustApply1(createOp(svcObj("default", "kubernetes", "", "10.96.0.1")))); got != "10.96.0.1" {
		t.Fatalf("default/kubernetes asked for the first address and got %q", got)
	}
	head := h.mustApply1(createOp(svcObj("default", "headless", "ClusterIP", "None")))
	if clusterIP(head) != "None" || head.GetService().GetSpec().GetClusterIps()[0] != "None" {
		t.Fatalf("headless service got %q / %v", clusterIP(head), head.GetService().GetSpec().GetClusterIps())
	}
}

func TestServiceClusterIPExhaustedReleasedReused(t *testing.T) {
	h := serviceHarness(t)
	const cidr = "10.96.0.0/29" // .2 to .6: five addresses after the reserved .1
	create := func(name string) Result {
		res, _ := h.apply(withRanges(createOp(svcObj("default", name, "", "")), cidr, "30000-32767"))
		return res[0]
	}
	held := map[string]string{}
	for i := 0; i < 5; i++ {
		r := create(fmt.Sprintf("s%d", i))
		if r.Err != nil {
			t.Fatalf("s%d: %v", i, r.Err)
		}
		ip := clusterIP(r.Object)
		if ip == "10.96.0.1" || held[ip] != "" {
			t.Fatalf("s%d got %s (held: %v)", i, ip, held)
		}
		held[ip] = fmt.Sprintf("s%d", i)
	}
	full := create("s5")
	wantFieldErr(t, full, ErrExhausted, "spec.clusterIP", "no cluster IP is left in the service range 10.96.0.0/29")
	if !strings.Contains(full.Err.Error(), "--service-cluster-ip-range") {
		t.Fatalf("exhaustion error %q does not say how to fix it", full.Err)
	}
	// A headless Service needs no address and is still accepted.
	h.mustApply(withRanges(createOp(svcObj("default", "headless", "", "None")), cidr, "30000-32767"))

	freed := clusterIP(h.get(apimeta.KindService, "default", "s3"))
	h.mustApply(deleteOp(apimeta.KindService, "default", "s3"))
	r := create("s6")
	if r.Err != nil || clusterIP(r.Object) != freed {
		t.Fatalf("after deleting s3 (%s), s6 got %v, %v; want the freed address", freed, clusterIP(r.Object), r.Err)
	}
	// Asking for a freed address by hand works too.
	freed = clusterIP(h.get(apimeta.KindService, "default", "s0"))
	h.mustApply(deleteOp(apimeta.KindService, "default", "s0"))
	res, _ := h.apply(withRanges(createOp(svcObj("other", "mine", "", freed)), cidr, "30000-32767"))
	if res[0].Err != nil || clusterIP(res[0].Object) != freed {
		t.Fatalf("requesting freed %s: %v %v", freed, clusterIP(res[0].Object), res[0].Err)
	}
}

func TestServiceNamespaceDeletionReleases(t *testing.T) {
	h := serviceHarness(t)
	ip := clusterIP(h.mustApply1(createOp(svcObj("other", "a", "NodePort", "10.96.0.20",
		&gantryv1.ServicePort{Port: 80, NodePort: 30100}))))
	h.mustApply(deleteOp(apimeta.KindNamespace, "", "other"))
	h.absent(apimeta.KindService, "other", "a")
	o := h.mustApply1(createOp(svcObj("default", "b", "NodePort", ip, &gantryv1.ServicePort{Port: 80, NodePort: 30100})))
	if clusterIP(o) != ip || nodePorts(o)[0] != 30100 {
		t.Fatalf("after the namespace went, its address and node port were not free: %s %v", clusterIP(o), nodePorts(o))
	}
}

func TestServiceClusterIPUpdate(t *testing.T) {
	h := serviceHarness(t)
	o := h.mustApply1(createOp(svcObj("default", "web", "", "")))
	ip := clusterIP(o)
	// A change that keeps the address keeps it.
	o = h.mustApply1(updateOp(edit(o, func(s *gantryv1.Service) { s.Spec.Ports[0].Port = 81 }), rvOf(t, o)))
	if clusterIP(o) != ip {
		t.Fatalf("update moved the address from %s to %s", ip, clusterIP(o))
	}
	res, _ := h.apply(updateOp(edit(o, func(s *gantryv1.Service) { s.Spec.ClusterIp = "10.96.0.50" }), rvOf(t, o)))
	wantFieldErr(t, res[0], ErrInvalid, "spec.clusterIP", "field is immutable")
	res, _ = h.apply(updateOp(edit(o, func(s *gantryv1.Service) { s.Spec.ClusterIp = "None" }), rvOf(t, o)))
	wantFieldErr(t, res[0], ErrInvalid, "spec.clusterIP", "field is immutable")
	// A Service stored without an address (before allocation existed)
	// gets one on its next update.
	h.s.mu.Lock()
	legacy := svcObj("default", "legacy", "ClusterIP", "")
	apimeta.Meta(legacy).ResourceVersion = "5"
	h.s.tables[apimeta.KindService].put("default/legacy", legacy)
	h.s.mu.Unlock()
	up := h.mustApply1(updateOp(edit(legacy, func(s *gantryv1.Service) { s.Spec.Ports[0].Port = 82 }), 5))
	if clusterIP(up) == "" || clusterIP(up) == ip {
		t.Fatalf("legacy service got %q on update", clusterIP(up))
	}
}

func TestServiceNodePorts(t *testing.T) {
	h := serviceHarness(t)
	web := h.mustApply1(createOp(svcObj("default", "web", "NodePort", "",
		&gantryv1.ServicePort{Name: "http", Port: 80}, &gantryv1.ServicePort{Name: "https", Port: 443},
		&gantryv1.ServicePort{Name: "dns", Port: 53, Protocol: "UDP"}, &gantryv1.ServicePort{Name: "dns-tcp", Port: 53, Protocol: "TCP"})))
	np := nodePorts(web)
	// The dynamic band of 30000-32767 starts 86 ports in.
	for i, p := range np {
		if p < 30086 || p > 32767 {
			t.Fatalf("port %d got node port %d, outside the dynamic band", i, p)
		}
	}
	if np[0] == np[1] || np[0] == np[2] || np[1] == np[2] || np[2] != np[3] {
		t.Fatalf("node ports %v: want three distinct, the two DNS ports sharing one", np)
	}
	if clusterIP(web) == "" {
		t.Fatal("a NodePort service got no cluster IP")
	}

	lb := h.mustApply1(createOp(svcObj("default", "lb", "LoadBalancer", "", &gantryv1.ServicePort{Port: 80, NodePort: 30000})))
	if nodePorts(lb)[0] != 30000 || clusterIP(lb) == "" {
		t.Fatalf("LoadBalancer service: node ports %v, cluster IP %q", nodePorts(lb), clusterIP(lb))
	}
	cases := []struct {
		name  string
		ports []*gantryv1.ServicePort
		field string
		what  string
	}{
		{"taken", []*gantryv1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 81, NodePort: np[1]}}, "spec.ports[1].nodePort", "provided port is already allocated"},
		{"low", []*gantryv1.ServicePort{{Port: 80, NodePort: 8080}}, "spec.ports[0].nodePort",
			"provided port is not in the valid range. The range of valid ports is 30000-32767"},
	}
	for _, c := range cases {
		res, _ := h.apply(createOp(svcObj("other", c.name, "NodePort", "", c.ports...)))
		wantFieldErr(t, res[0], ErrInvalid, c.field, c.what)
		h.absent(apimeta.KindService, "other", c.name)
	}
	// A failed create took nothing: the address it would have had is free.
	res, _ := h.apply(createOp(svcObj("other", "ok", "ClusterIP", "")))
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	res, _ = h.apply(createOp(svcObj("other", "np", "ClusterIP", "", &gantryv1.ServicePort{Port: 80, NodePort: 30500})))
	wantFieldErr(t, res[0], ErrInvalid, "spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'")
}

func TestServiceNodePortTypeChanges(t *testing.T) {
	h := serviceHarness(t)
	web := h.mustApply1(createOp(svcObj("default", "web", "NodePort", "", &gantryv1.ServicePort{Port: 80, NodePort: 31000})))
	// NodePort -> ClusterIP (the apiserver has zeroed the node ports):
	// released, so another Service can have 31000.
	web = h.mustApply1(updateOp(edit(web, func(s *gantryv1.Service) {
		s.Spec.Type, s.Spec.Ports[0].NodePort = "ClusterIP", 0
	}), rvOf(t, web)))
	other := h.mustApply1(createOp(svcObj("other", "taker", "NodePort", "", &gantryv1.ServicePort{Port: 80, NodePort: 31000})))
	if nodePorts(other)[0] != 31000 {
		t.Fatalf("31000 was not released: taker got %v", nodePorts(other))
	}
	// ClusterIP -> NodePort allocates; asking for a taken one is refused.
	res, _ := h.apply(updateOp(edit(web, func(s *gantryv1.Service) {
		s.Spec.Type, s.Spec.Ports[0].NodePort = "NodePort", 31000
	}), rvOf(t, web)))
	wantFieldErr(t, res[0], ErrInvalid, "spec.ports[0].nodePort", "already allocated")
	web = h.mustApply1(updateOp(edit(web, func(s *gantryv1.Service) { s.Spec.Type = "NodePort" }), rvOf(t, web)))
	got := nodePorts(web)[0]
	if got == 0 || got == 31000 {
		t.Fatalf("ClusterIP -> NodePort got node port %d", got)
	}
	// Updates that keep a node port keep it; adding a port adds one.
	web = h.mustApply1(updateOp(edit(web, func(s *gantryv1.Service) {
		s.Spec.Ports[0].Name = "http"
		s.Spec.Ports = append(s.Spec.Ports, &gantryv1.ServicePort{Name: "admin", Port: 9000})
	}), rvOf(t, web)))
	if ps := nodePorts(web); ps[0] != got || ps[1] == 0 || ps[1] == got || ps[1] == 31000 {
		t.Fatalf("after adding a port: %v (had %d)", ps, got)
	}
	// Deleting releases every one.
	h.mustApply(deleteOp(apimeta.KindService, "default", "web"))
	again := h.mustApply1(createOp(svcObj("default", "again", "NodePort", "",
		&gantryv1.ServicePort{Name: "a", Port: 80, NodePort: got}, &gantryv1.ServicePort{Name: "b", Port: 81, NodePort: nodePorts(web)[1]})))
	if ps := nodePorts(again); ps[0] != got {
		t.Fatalf("released node ports not reusable: %v", ps)
	}
}

func TestServiceNodePortsExhausted(t *testing.T) {
	h := serviceHarness(t)
	const ports = "30000-30002"
	create := func(name string, n int) Result {
		var ps []*gantryv1.ServicePort
		for i := 0; i < n; i++ {
			ps = append(ps, &gantryv1.ServicePort{Name: fmt.Sprintf("p%d", i), Port: int32(80 + i)})
		}
		res, _ := h.apply(withRanges(createOp(svcObj("default", name, "NodePort", "", ps...)), "10.96.0.0/16", ports))
		return res[0]
	}
	if r := create("a", 2); r.Err != nil {
		t.Fatal(r.Err)
	}
	// Needs two, one left: refused whole, and the one left stays free.
	r := create("b", 2)
	wantFieldErr(t, r, ErrExhausted, "spec.ports[1].nodePort", "no node port is left in the range 30000-30002")
	if !strings.Contains(r.Err.Error(), "--service-node-port-range") {
		t.Fatalf("exhaustion error %q does not say how to fix it", r.Err)
	}
	if r := create("c", 1); r.Err != nil {
		t.Fatalf("the last node port was lost by the failed create: %v", r.Err)
	}
	h.absent(apimeta.KindService, "default", "b")
}

// TestServiceRangeChange: a leader with other flags allocates from its
// range; what older Services hold stays theirs.
func TestServiceRangeChange(t *testing.T) {
	h := serviceHarness(t)
	a := h.mustApply1(createOp(svcObj("default", "a", "NodePort", "10.96.0.30", &gantryv1.ServicePort{Port: 80, NodePort: 30030})))
	b := h.mustApply1(withRanges(createOp(svcObj("default", "b", "NodePort", "")), "10.200.0.0/24", "40000-40100"))
	bip, _ := netip.ParseAddr(clusterIP(b))
	if !netip.MustParsePrefix("10.200.0.0/24").Contains(bip) || nodePorts(b)[0] < 40000 || nodePorts(b)[0] > 40100 {
		t.Fatalf("b got %s %v from the new ranges", bip, nodePorts(b))
	}
	// a is outside the new ranges and keeps what it has across updates.
	a = h.mustApply1(withRanges(updateOp(edit(a, func(s *gantryv1.Service) { s.Spec.Ports[0].Name = "x" }), rvOf(t, a)),
		"10.200.0.0/24", "40000-40100"))
	if clusterIP(a) != "10.96.0.30" || nodePorts(a)[0] != 30030 {
		t.Fatalf("a lost its allocation: %s %v", clusterIP(a), nodePorts(a))
	}
	// And back to the defaults: a's address and port are still taken.
	res, _ := h.apply(createOp(svcObj("other", "c", "NodePort", "10.96.0.30", &gantryv1.ServicePort{Port: 80})))
	wantFieldErr(t, res[0], ErrInvalid, "spec.clusterIP", "already allocated")
	res, _ = h.apply(createOp(svcObj("other", "c", "NodePort", "", &gantryv1.ServicePort{Port: 80, NodePort: 30030})))
	wantFieldErr(t, res[0], ErrInvalid, "spec.ports[0].nodePort", "already allocated")
	// A garbled range is a malformed command, not a guess.
	res, _ = h.apply(&storagev1.Op{Type: storagev1.OpType_OP_TYPE_CREATE, Object: svcObj("other", "d", "", ""), Now: now,
		ServiceNetwork: &storagev1.ServiceNetwork{ClusterIpRange: "nonsense", NodePortFirst: 1, NodePortLast: 2}})
	if !errors.Is(res[0].Err, ErrBadCommand) {
		t.Fatalf("garbled range: %v", res[0].Err)
	}
}

// TestServiceAllocationsSurviveRestore: the index is rebuilt from the
// Services in a snapshot, so a restored master refuses what is taken and
// allocates exactly as the master it was restored from.
func TestServiceAllocationsSurviveRestore(t *testing.T) {
	h := serviceHarness(t)
	for i := 0; i < 20; i++ {
		h.mustApply(createOp(svcObj("default", fmt.Sprintf("s%d", i), "NodePort", "")))
	}
	h.mustApply(deleteOp(apimeta.KindService, "default", "s7"))
	restored := New(DefaultConfig())
	if err := restored.Restore(strings.NewReader(string(persisted(t, h.s)))); err != nil {
		t.Fatal(err)
	}
	taken := h.get(apimeta.KindService, "default", "s3")
	next := []*storagev1.Op{
		createOp(svcObj("other", "dup-ip", "", clusterIP(taken))),
		createOp(svcObj("other", "dup-port", "NodePort", "", &gantryv1.ServicePort{Port: 80, NodePort: nodePorts(taken)[0]})),
		createOp(svcObj("other", "fresh", "NodePort", "")),
	}
	idx := h.nextIndex()
	got := h.s.Apply(decoded(t, &storagev1.Command{Ops: next}), idx)
	again := restored.Apply(decoded(t, &storagev1.Command{Ops: next}), idx)
	wantFieldErr(t, got[0], ErrInvalid, "spec.clusterIP", "already allocated")
	wantFieldErr(t, again[0], ErrInvalid, "spec.clusterIP", "already allocated")
	wantFieldErr(t, again[1], ErrInvalid, "spec.ports[0].nodePort", "already allocated")
	if got[2].Err != nil || again[2].Err != nil {
		t.Fatalf("fresh: %v / %v", got[2].Err, again[2].Err)
	}
	if clusterIP(got[2].Object) != clusterIP(again[2].Object) || nodePorts(got[2].Object)[0] != nodePorts(again[2].Object)[0] {
		t.Fatalf("original and restored masters allocated differently: %s %v vs %s %v",
			clusterIP(got[2].Object), nodePorts(got[2].Object), clusterIP(again[2].Object), nodePorts(again[2].Object))
	}
}
