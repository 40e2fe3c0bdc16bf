package localcluster

import (
	"fmt"
	"net/netip"
)

// ProxyInfo says where one node's proxy serves.
type ProxyInfo struct {
	// Node is the proxy's node; Proc its process.
	Node string
	Proc *Proc
	// GRPC is the ProxyService address; ServiceAddress is where it serves
	// the service ports (userspace mode) and NodePortAddress the node ports.
	GRPC, ServiceAddress, NodePortAddress string
}

// proxyServiceAddress is the local IP node i's proxy serves service ports
// on in userspace mode: its own loopback address (127.0.10.<i+1>) when the
// cluster runs on IPv4 loopback, so that the proxies of several nodes on
// one host do not compete for the same service ports; Host otherwise.
func (c *Cluster) proxyServiceAddress(i int) string {
	h, err := netip.ParseAddr(c.cfg.Host)
	if err != nil || !h.Is4() || !h.IsLoopback() || i >= 254 {
		return c.cfg.Host
	}
	return fmt.Sprintf("127.0.10.%d", i+1)
}

// newProxy prepares node i's proxy, with ProxyArgs as extra flags.
func (c *Cluster) newProxy(i int) (*component, error) {
	node := fmt.Sprintf("n%d", i+1)
	mode := c.cfg.Workers.ProxyMode
	if mode == "" {
		mode = "auto"
	}
	args := []string{"proxy", "--node", node, "--mode", mode,
		"--userspace-address", c.proxyServiceAddress(i), "--nodeport-address", c.cfg.Host}
	args = append(args, c.cfg.Workers.ProxyArgs...)
	return c.newComponent("proxy-"+node, 600+2*i, args...)
}

// Proxies returns where each node's proxy serves, in node order.
func (c *Cluster) Proxies() []ProxyInfo {
	out := make([]ProxyInfo, 0, len(c.proxies))
	for i, p := range c.proxies {
		out = append(out, ProxyInfo{
			Node: fmt.Sprintf("n%d", i+1), Proc: p.proc, GRPC: c.addr(p.grpc),
			ServiceAddress: c.proxyServiceAddress(i), NodePortAddress: c.cfg.Host,
		})
	}
	return out
}
