package localcluster

import (
	"os"
	"testing"

	"github.com/gantryio/gantry/services/proxy/dataplane/nftables"
)

// The proxies' auto mode is nftables as root when the kernel answers,
// userspace otherwise; a mode asked for is kept.
func TestProxyModeDefault(t *testing.T) {
	want := "userspace"
	if os.Geteuid() == 0 && nftables.Available() == nil {
		want = "nftables"
	}
	for _, m := range []string{"", "auto"} {
		c := &Cluster{cfg: Config{Workers: Workers{ProxyMode: m}}}
		if got := c.proxyMode(); got != want {
			t.Errorf("mode %q resolves to %s, want %s", m, got, want)
		}
	}
	c := &Cluster{cfg: Config{Workers: Workers{ProxyMode: "userspace"}}}
	if got := c.proxyMode(); got != "userspace" {
		t.Errorf("userspace resolves to %s", got)
	}
}
