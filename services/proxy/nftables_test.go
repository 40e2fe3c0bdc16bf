package proxy

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/dataplane/nftables"
)

// TestResolveMode: auto takes nftables as root when the kernel answers,
// userspace otherwise; nftables without root is a clear error.
func TestResolveMode(t *testing.T) {
	defer func(f func() int) { geteuid = f }(geteuid)
	geteuid = func() int { return 1000 }
	if m, err := resolveMode(ModeAuto); err != nil || m.name != ModeUserspace {
		t.Errorf("auto without root = %q, %v; want userspace", m.name, err)
	}
	_, err := resolveMode(ModeNFTables)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "needs root") || !strings.Contains(err.Error(), "--mode userspace") {
		t.Errorf("nftables without root: %v", err)
	}
	if _, err := resolveMode("ebpf"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "nftables, userspace") {
		t.Errorf("unknown mode: %v", err)
	}
	geteuid = func() int { return 0 }
	want := ModeUserspace
	if os.Geteuid() == 0 && nftables.Available() == nil {
		want = ModeNFTables
	}
	if m, err := resolveMode(ModeAuto); err != nil || m.name != want {
		t.Errorf("auto as root = %q, %v; want %s", m.name, err, want)
	}
}

// TestProxyNFTables runs a proxy in nftables mode, programming a network
// namespace of the test's own (so the host's ruleset is not touched): its
// table follows Services and EndpointSlices, Routes reports where each
// route is carried, and the table goes with the proxy.
func TestProxyNFTables(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: nftables mode needs root")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipped: nft is needed to inspect the table")
	}
	ns := fmt.Sprintf("gtest-proxy-%d", time.Now().UnixNano()%1e9)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("skipped: ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	list := func() string {
		out, _ := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "ip", "gantry-proxy-n1").CombinedOutput()
		return string(out)
	}
	// Cleanups run last first: this one after the proxy has stopped.
	t.Cleanup(func() {
		if got := list(); strings.Contains(got, "chain services") {
			t.Errorf("the proxy stopped, its table is still there:\n%s", got)
		}
	})
	e := newEnv(t, func(c *Config) {
		c.Mode = ModeNFTables
		c.NFTables.NetNS = "/var/run/netns/" + ns
	})
	port, nodePort := freePort(t), freeNodePort(t)
	e.create(webService(port, nodePort))
	e.create(backendSlice("web-a", "10.244.0.11:8080", true))
	elem := fmt.Sprintf("10.96.7.7 . tcp . %d : goto svc-", port)
	testutil.Eventually(t, 10*time.Second, func() error {
		r, err := e.route("web")
		if err != nil || r == nil {
			return fmt.Errorf("route: %v, %v", r, err)
		}
		if want := []string{"0.0.0.0:" + strconv.Itoa(int(nodePort))}; !slices.Equal(r.GetListen(), want) || r.GetError() != "" {
			return fmt.Errorf("route listens on %v (error %q), want %v", r.GetListen(), r.GetError(), want)
		}
		if got := list(); !strings.Contains(got, elem) || !strings.Contains(got, "dnat to 10.244.0.11:8080") {
			return fmt.Errorf("table:\n%s", got)
		}
		return nil
	})
	if e.p.Mode() != ModeNFTables {
		t.Fatalf("mode %s", e.p.Mode())
	}
	// The last endpoint not ready: the address rejects.
	e.update(backendSlice("web-a", "10.244.0.11:8080", false))
	testutil.Eventually(t, 10*time.Second, func() error {
		got := list()
		if !strings.Contains(got, fmt.Sprintf("10.96.7.7 . tcp . %d : goto reject-chain", port)) || strings.Contains(got, "dnat to") {
			return fmt.Errorf("table:\n%s", got)
		}
		return nil
	})
	e.delete(apimeta.KindService, "web")
	testutil.Eventually(t, 10*time.Second, func() error {
		if got := list(); strings.Contains(got, "10.96.7.7") {
			return fmt.Errorf("table:\n%s", got)
		}
		return nil
	})
}
