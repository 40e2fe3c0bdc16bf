package nftables

import (
	"context"
	"strings"
	"testing"

	"github.com/gantryio/gantry/services/proxy/table"
)

// TestCloseRemovesTable and a restart that replaces a leftover table.
func TestTableLifecycle(t *testing.T) {
	l := newLab(t, 1)
	// A crashed run left its table, with something of its own in it.
	run(t, "ip", "netns", "exec", l.node, "nft", "add table ip gantry-proxy-test; add chain ip gantry-proxy-test leftover")
	d := l.newDP()
	got := l.nft(d.Table())
	if strings.Contains(got, "leftover") || !strings.Contains(got, "chain services") {
		t.Fatalf("New did not replace the leftover table:\n%s", got)
	}
	tb := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods})
	apply(t, d, nil, tb)
	if _, _, err := get(l.node, svcAddr80); err != nil {
		t.Fatalf("before Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := l.nft(d.Table()); got != "" {
		t.Fatalf("after Close the table is still there:\n%s", got)
	}
	if err := d.Apply(context.Background(), table.Diff(tb, tb)); err != ErrClosed {
		t.Errorf("Apply after Close = %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Another dataplane on another table leaves this one alone.
	other := l.newDP(func(c *Config) { c.Table = "gantry-proxy-other" })
	d2 := l.newDP()
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if l.nft(d2.Table()) == "" {
		t.Error("closing one dataplane removed another's table")
	}
}

// TestApplyIsIdempotent applies each change twice, as the proxy's retry
// does, and from a table already carried; the ruleset must not change.
func TestApplyIsIdempotent(t *testing.T) {
	l := newLab(t, 3)
	d := l.newDP()
	a := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, nodePort: 30080, epPort: tcpPort, eps: l.pods},
		svcDef{name: "dns", ip: "10.96.0.11", proto: "UDP", port: 53, epPort: udpPort, eps: l.pods[:1]})
	b := tableOf(svcDef{name: "web", ip: clusterIP, port: 80, nodePort: 30080, epPort: tcpPort, eps: l.pods[1:]},
		svcDef{name: "dns", ip: "10.96.0.11", proto: "UDP", port: 53, epPort: udpPort},
		svcDef{name: "api", ip: "10.96.0.12", port: 443, epPort: tcpPort, eps: l.pods[:1]})
	for _, c := range []struct{ old, new *table.Table }{{nil, a}, {a, b}, {b, a}, {a, nil}} {
		apply(t, d, c.old, c.new)
		want := l.nft(d.Table())
		apply(t, d, c.old, c.new)
		if got := l.nft(d.Table()); got != want {
			t.Fatalf("the same change applied twice changed the ruleset:\n--- once\n%s\n--- twice\n%s", want, got)
		}
	}
	if got := l.nft(d.Table()); strings.Contains(got, "goto") && !strings.Contains(got, "goto reject-chain") {
		t.Errorf("after removing everything, chains are left:\n%s", got)
	}
	// A dataplane that lost track (a failed transaction) rewrites the
	// table whole from the next change's New.
	apply(t, d, nil, a)
	want := l.nft(d.Table())
	d.setBroken()
	apply(t, d, a, a)
	if got := l.nft(d.Table()); got != want {
		t.Fatalf("a resync changed the ruleset:\n--- before\n%s\n--- after\n%s", want, got)
	}
	if seen := spread(t, l.node, svcAddr80, 30); len(seen) != 3 {
		t.Errorf("after the resync: %v", seen)
	}
}

// TestRoundRobin spreads consecutive connections in turn.
func TestRoundRobin(t *testing.T) {
	l := newLab(t, 3)
	d := l.newDP(func(c *Config) { c.Spread = SpreadRoundRobin })
	apply(t, d, nil, tableOf(svcDef{name: "web", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods}))
	seen := spread(t, l.node, svcAddr80, 9)
	for _, p := range l.pods {
		if seen[p.name] != 3 {
			t.Fatalf("round robin over 9 connections: %v, want 3 each", seen)
		}
	}
}

// TestConflictingRoutes: two services claiming one address (which the
// apiserver prevents, but the proxy must not trust) — the first is
// carried, the second reported, and carried once the first goes.
func TestConflictingRoutes(t *testing.T) {
	l := newLab(t, 2)
	d := l.newDP()
	both := tableOf(svcDef{name: "a", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods[:1]},
		svcDef{name: "b", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods[1:]},
		svcDef{name: "v6", ip: "fd00::10", port: 80, epPort: tcpPort})
	apply(t, d, nil, both)
	keyA, keyB, key6 := both.Routes()[0].Key, both.Routes()[1].Key, both.Routes()[2].Key
	if st := d.RouteStatus(keyA); st.Error != "" {
		t.Errorf("a: %+v", st)
	}
	if st := d.RouteStatus(keyB); !strings.Contains(st.Error, "default/a") {
		t.Errorf("b: %+v, want a conflict naming default/a", st)
	}
	if st := d.RouteStatus(key6); !strings.Contains(st.Error, "IPv4") {
		t.Errorf("v6: %+v, want not carried", st)
	}
	if name, _, err := get(l.node, svcAddr80); err != nil || name != l.pods[0].name {
		t.Fatalf("a's address: %q, %v", name, err)
	}
	onlyB := tableOf(svcDef{name: "b", ip: clusterIP, port: 80, epPort: tcpPort, eps: l.pods[1:]})
	apply(t, d, both, onlyB)
	if st := d.RouteStatus(keyB); st.Error != "" {
		t.Errorf("b after a left: %+v", st)
	}
	if name, _, err := get(l.node, svcAddr80); err != nil || name != l.pods[1].name {
		t.Fatalf("b's address after a left: %q, %v", name, err)
	}
}
