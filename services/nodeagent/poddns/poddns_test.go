package poddns

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"github.com/gantryio/gantry/services/nodeagent/runtime/simulated"
	"go.uber.org/zap"
)

func TestFor(t *testing.T) {
	c := Config{Servers: []string{Bridge, "10.96.0.10"}, Domain: "cluster.local."}
	got, err := c.For("shop", "10.244.1.1", []string{"corp.example", "example.org"})
	if err != nil {
		t.Fatal(err)
	}
	want := &runtime.DNSConfig{Servers: []string{"10.244.1.1", "10.96.0.10"},
		Searches: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "example.org"},
		Options:  []string{"ndots:5"}}
	if !slices.Equal(got.Servers, want.Servers) || !slices.Equal(got.Searches, want.Searches) || !slices.Equal(got.Options, want.Options) {
		t.Fatalf("For = %+v, want %+v", got, want)
	}
	if _, err := c.For("shop", "", nil); !errors.Is(err, ErrBridgeUnknown) {
		t.Fatalf("without a bridge address: %v", err)
	}
	// The host's domains are cut to the kubelet's limits.
	var many []string
	for i := 0; i < 40; i++ {
		many = append(many, strings.Repeat("x", 60)+".example")
	}
	got, _ = c.For("shop", "10.244.1.1", many)
	if n, l := len(got.Searches), len(strings.Join(got.Searches, " ")); n > maxSearches || l > maxSearchChars || n < 4 {
		t.Fatalf("%d search domains of %d characters", n, l)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{Domain: "cluster.local"},
		{Servers: []string{"dns.local"}, Domain: "cluster.local"},
		{Servers: []string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"}, Domain: "cluster.local"},
		{Servers: []string{"1.1.1.1"}, Domain: ""},
		{Servers: []string{"1.1.1.1"}, Domain: "a b"},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (Config{Servers: []string{Bridge, "::1"}, Domain: "cluster.local"}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestHostSearches(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(p, []byte("domain old.example\nnameserver 1.1.1.1\nsearch corp.example. lab.example\noptions ndots:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := HostSearches(p)
	if err != nil || !slices.Equal(got, []string{"corp.example", "lab.example"}) {
		t.Fatalf("HostSearches = %q, %v", got, err)
	}
	if got, err := HostSearches(filepath.Join(t.TempDir(), "none")); err != nil || got != nil {
		t.Fatalf("missing file: %q, %v", got, err)
	}
}

// recording keeps the sandbox configs it is asked for.
type recording struct {
	runtime.Runtime
	got []runtime.SandboxConfig
}

func (r *recording) RunSandbox(ctx context.Context, sc runtime.SandboxConfig) (*runtime.Sandbox, error) {
	r.got = append(r.got, sc)
	return r.Runtime.RunSandbox(ctx, sc)
}

// TestWrap: pods off the host network get the DNS config, host-network
// pods do not, and an unknown bridge fails the sandbox (to be retried).
func TestWrap(t *testing.T) {
	rec := &recording{Runtime: simulated.New(nil)}
	bridge := ""
	rt := Wrap(rec, Config{Servers: []string{Bridge}, Domain: "cluster.local"}, func() string { return bridge }, zap.NewNop())
	ctx := context.Background()
	if _, err := rt.RunSandbox(ctx, runtime.SandboxConfig{UID: "a", Namespace: "default"}); !errors.Is(err, ErrBridgeUnknown) {
		t.Fatalf("before the bridge is known: %v", err)
	}
	bridge = "10.244.1.1"
	if _, err := rt.RunSandbox(ctx, runtime.SandboxConfig{UID: "a", Namespace: "default"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RunSandbox(ctx, runtime.SandboxConfig{UID: "b", Namespace: "default", HostNetwork: true}); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 2 || rec.got[0].DNS == nil || rec.got[0].DNS.Servers[0] != "10.244.1.1" ||
		rec.got[0].DNS.Searches[0] != "default.svc.cluster.local" || rec.got[1].DNS != nil {
		t.Fatalf("sandboxes asked for: %+v", rec.got)
	}
}
