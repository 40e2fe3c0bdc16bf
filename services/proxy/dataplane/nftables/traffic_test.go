package nftables

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

const clusterIP = "10.96.0.10"

var svcAddr80 = clusterIP + ":80"

// TestClusterIPReachesEveryEndpoint: from a pod on the same bridge as the
// backends (which works without br_netfilter only through masquerade),
// from the host itself, and from a backend to its own service (hairpin).
func TestClusterIPReachesEveryEndpoint(t *testing.T) {
	l := newLab(t, 3)
	client := l.addPod("c", netipAddr("10.244.0.20"), false)
	d := l.newDP()
	apply(t, d, nil, tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods[:3]}))

	for _, from := range []string{client.name, l.node} {
		seen := spread(t, from, svcAddr80, 60)
		for _, p := range l.pods[:3] {
			if seen[p.name] == 0 {
				t.Errorf("from %s: %s got no connection of 60 (%v)", from, p.name, seen)
			}
		}
	}
	// The backend saw the client's masqueraded address (the bridge's),
	// so its answer came back through the node.
	if _, src, err := get(client.name, svcAddr80); err != nil || !strings.HasPrefix(src, bridgeIP+":") {
		t.Errorf("source seen by the backend = %q, %v; want the bridge's %s", src, err, bridgeIP)
	}

	// Hairpin: p1 reaches itself through the service.
	self := l.pods[0]
	old := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods[:3]})
	apply(t, d, old, tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods[:1]}))
	if name, _, err := get(self.name, svcAddr80); err != nil || name != self.name {
		t.Errorf("hairpin from %s: %q, %v", self.name, name, err)
	}
}

// TestRemovedEndpointGetsNoNewConnections removes one endpoint of three.
func TestRemovedEndpointGetsNoNewConnections(t *testing.T) {
	l := newLab(t, 3)
	d := l.newDP()
	all := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods})
	two := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods[:2]})
	apply(t, d, nil, all)
	apply(t, d, all, two)
	seen := spread(t, l.node, svcAddr80, 60)
	if seen[l.pods[2].name] != 0 || seen[l.pods[0].name] == 0 || seen[l.pods[1].name] == 0 {
		t.Fatalf("after removing %s: %v", l.pods[2].name, seen)
	}
	if n := strings.Count(l.nft(d.Table()), "dnat to"); n != 2 {
		t.Errorf("%d endpoint chains left, want 2:\n%s", n, l.nft(d.Table()))
	}
}

// TestNoEndpointsRefusesAtOnce: a service whose last endpoint went away
// refuses TCP and UDP at once, from a pod and from the host.
func TestNoEndpointsRefusesAtOnce(t *testing.T) {
	l := newLab(t, 1)
	client := l.addPod("c", netipAddr("10.244.0.20"), false)
	d := l.newDP()
	one := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods},
		svcDef{name: "dns", ip: "10.96.0.11", proto: "UDP", port: 53, epPort: udpPort, eps: l.pods})
	none := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort},
		svcDef{name: "dns", ip: "10.96.0.11", proto: "UDP", port: 53, epPort: udpPort})
	apply(t, d, nil, one)
	if _, _, err := get(client.name, svcAddr80); err != nil {
		t.Fatalf("with an endpoint: %v", err)
	}
	apply(t, d, one, none)
	for _, from := range []string{client.name, l.node} {
		start := time.Now()
		_, _, err := get(from, svcAddr80)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("TCP from %s without endpoints: %v, want connection refused", from, err)
		}
		// ECONNREFUSED is the answer "at once": a dropped SYN would end in
		// a timeout instead. How fast is not asserted (machine load).
		t.Logf("TCP from %s: refused after %s", from, time.Since(start))
		udpRefused(t, from, "10.96.0.11:53")
	}
}

// udpRefused checks datagrams to addr are refused: ICMP port unreachable
// (ECONNREFUSED on the next read), or, from the node itself, the send
// fails (EPERM: the rule dropped it on the way out). The kernel rate-limits
// ICMP errors to each host (net.ipv4.icmp_ratelimit), so a datagram may
// go unanswered: the check retries, but no datagram may be answered.
func udpRefused(t *testing.T, ns, addr string) {
	t.Helper()
	c := udpConn(t, ns, addr)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := ask(c, 300*time.Millisecond)
		switch {
		case err == nil:
			t.Errorf("UDP from %s to %s answered by %s, want refused", ns, addr, got)
			return
		case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPERM):
			return
		case time.Now().After(deadline):
			t.Errorf("UDP from %s to %s: %v, want refused", ns, addr, err)
			return
		}
	}
}

// TestNodePort answers on the node's addresses: from outside the node,
// from a pod (to the bridge's address) and from the node itself.
func TestNodePort(t *testing.T) {
	l := newLab(t, 2)
	d := l.newDP()
	apply(t, d, nil, tableOf(svcDef{name: "web", ip: clusterIP, port: 80, nodePort: 30080, epPort: tcpPort, eps: l.pods}))
	for _, c := range []struct{ from, to string }{
		{l.outside, nodeIP + ":30080"}, {l.pods[0].name, bridgeIP + ":30080"}, {l.node, nodeIP + ":30080"},
	} {
		seen := spread(t, c.from, c.to, 30)
		if seen[l.pods[0].name] == 0 || seen[l.pods[1].name] == 0 {
			t.Errorf("node port from %s to %s: %v", c.from, c.to, seen)
		}
	}
	st := d.RouteStatus(tableOf(svcDef{name: "web", ip: clusterIP, port: 80, nodePort: 30080}).Routes()[0].Key)
	if len(st.Listen) != 1 || st.Listen[0] != "0.0.0.0:30080" || st.Error != "" {
		t.Errorf("RouteStatus = %+v", st)
	}
}

// TestUDP spreads datagrams and, when the endpoint a client's flow was
// DNATed to leaves, moves the flow (its conntrack entry is deleted).
func TestUDP(t *testing.T) {
	l := newLab(t, 2)
	client := l.addPod("c", netipAddr("10.244.0.20"), false)
	d := l.newDP()
	both := tableOf(svcDef{name: "dns", ip: clusterIP, proto: "UDP", port: 53, epPort: udpPort, eps: l.pods})
	apply(t, d, nil, both)
	seen := map[string]int{}
	for i := 0; i < 40; i++ {
		name, err := ask(udpConn(t, client.name, clusterIP+":53"), 2*time.Second)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		seen[name]++
	}
	if seen[l.pods[0].name] == 0 || seen[l.pods[1].name] == 0 {
		t.Fatalf("UDP spread: %v", seen)
	}
	c := udpConn(t, client.name, clusterIP+":53")
	first, err := ask(c, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var keep, gone *pod
	for _, p := range l.pods {
		if p.name == first {
			gone = p
		} else {
			keep = p
		}
	}
	apply(t, d, both, tableOf(svcDef{name: "dns", ip: clusterIP, proto: "UDP", port: 53, epPort: udpPort, eps: []*pod{keep}}))
	if got, err := ask(c, 2*time.Second); err != nil || got != keep.name {
		t.Fatalf("same socket after %s left: %q, %v; want %s", gone.name, got, err, keep.name)
	}
}
