package network

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap/zaptest"
)

func TestBridgeNamesFitLinux(t *testing.T) {
	if got := BridgeName("n1"); got != "gantry-n1" {
		t.Fatalf("BridgeName(n1) = %q", got)
	}
	long := BridgeName("a-very-long-node-name")
	if len(long) > 15 || long == BridgeName("a-very-long-node-namf") {
		t.Fatalf("long names: %q must fit 15 bytes and differ per node", long)
	}
}

func TestSetupWaitsForThePodCIDR(t *testing.T) {
	cfg := DefaultConfig()
	cfg.NodeName, cfg.DataDir = "n1", t.TempDir()
	m, err := New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Setup(context.Background(), "uid", "default", "p"); !errors.Is(err, ErrNoPodCIDR) {
		t.Fatalf("Setup before a pod CIDR: %v", err)
	}
	if err := m.SetPodCIDR("not-a-cidr"); err == nil {
		t.Fatal("bad CIDR accepted")
	}
	if err := m.SetPodCIDR("10.244.7.0/24"); err != nil || m.PodCIDR() != "10.244.7.0/24" {
		t.Fatalf("SetPodCIDR: %v (%q)", err, m.PodCIDR())
	}
}

func TestGateway(t *testing.T) {
	for cidr, want := range map[string]string{
		"10.244.1.0/24": "10.244.1.1/24", "10.244.1.7/24": "10.244.1.1/24", "fd00::/64": "fd00::1/64",
		"10.0.0.1/32": "", "bad": "",
	} {
		got, err := Gateway(cidr)
		if (err != nil) != (want == "") || (err == nil && got.String() != want) {
			t.Errorf("Gateway(%q) = %v, %v; want %q", cidr, got, err, want)
		}
	}
}

func TestPodRoutesCoverPodsAndServices(t *testing.T) {
	m := &Manager{cfg: DefaultConfig()}
	got := m.routes()
	if len(got) != 2 || got[0]["dst"] != "10.244.0.0/16" || got[1]["dst"] != "10.96.0.0/16" {
		t.Fatalf("routes = %v, want the cluster CIDR and the service CIDR", got)
	}
	m.cfg.ServiceCIDR = ""
	if got := m.routes(); len(got) != 1 {
		t.Fatalf("routes without a service CIDR = %v, want only the cluster CIDR", got)
	}
}
