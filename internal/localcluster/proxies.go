package localcluster

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/gantryio/gantry/services/proxy/dataplane/nftables"
)

// ProxyInfo says where one node's proxy serves.
type ProxyInfo struct {
	// Node is the proxy's node; Proc its process.
	Node string
	Proc *Proc
	// Mode is the proxy's dataplane: userspace or nftables (auto is
	// resolved here, as the proxy would: nftables when root and the
	// kernel answers).
	Mode string
	// GRPC is the ProxyService address; ServiceAddress is where it serves
	// the service ports and NodePortAddress the node ports in userspace
	// mode (nftables mode serves them on the cluster IPs and on every
	// node address but loopback).
	GRPC, ServiceAddress, NodePortAddress string
	// DNS is where the proxy serves cluster DNS for the host ("": only
	// on the bridge); DNSBridge says whether it serves the node's pods on
	// their bridge address (port 53), which their resolv.conf names.
	DNS       string
	DNSBridge bool
}

// proxyMode resolves the proxies' mode once ("" and auto: nftables when
// root and the kernel answers, userspace otherwise).
func (c *Cluster) proxyMode() string {
	m := c.cfg.Workers.ProxyMode
	if m != "" && m != "auto" {
		return m
	}
	if c.resolvedProxyMode == "" {
		c.resolvedProxyMode = "userspace"
		if os.Geteuid() == 0 && nftables.Available() == nil {
			c.resolvedProxyMode = "nftables"
		}
	}
	return c.resolvedProxyMode
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
	args := []string{"proxy", "--node", node, "--mode", c.proxyMode(),
		"--userspace-address", c.proxyServiceAddress(i), "--nodeport-address", c.cfg.Host}
	ports, err := c.componentPorts(600+2*i, 1)
	if err != nil {
		return nil, err
	}
	if dns := c.proxyDNS(i, ports[0][0]); len(dns) > 0 {
		args = append(args, "--dns-listen", strings.Join(dns, ","))
	}
	ing, err := c.ingressArgs()
	if err != nil {
		return nil, err
	}
	args = append(args, ing...)
	args = append(args, c.cfg.Workers.ProxyArgs...)
	return c.newComponentOn(ports[0], "proxy-"+node, args...)
}

// dnsBridge says whether pods get cluster DNS on their bridge: pod
// networking and the mount namespaces that give containers their
// resolv.conf both need root.
func (c *Cluster) dnsBridge() bool { return c.cfg.Workers.Proxies && os.Geteuid() == 0 }

// proxyHostDNS is where node i's proxy serves DNS for the host: its own
// loopback address 127.0.53.<i+1> when the cluster runs on IPv4 loopback,
// on port 53 as root (where resolvers look), else on the proxy's gRPC port
// number (free on an address of its own); "" on other hosts.
func (c *Cluster) proxyHostDNS(i, grpcPort int) string {
	h, err := netip.ParseAddr(c.cfg.Host)
	if err != nil || !h.Is4() || !h.IsLoopback() || i >= 254 {
		return ""
	}
	port := grpcPort
	if os.Geteuid() == 0 {
		port = 53
	}
	return net.JoinHostPort(fmt.Sprintf("127.0.53.%d", i+1), strconv.Itoa(port))
}

// proxyDNS lists node i's DNS listen addresses: the host's, and the
// bridge's when pods get DNS there.
func (c *Cluster) proxyDNS(i, grpcPort int) []string {
	var out []string
	if a := c.proxyHostDNS(i, grpcPort); a != "" {
		out = append(out, a)
	}
	if c.dnsBridge() {
		out = append(out, "bridge:53")
	}
	return out
}

// Proxies returns where each node's proxy serves, in node order.
func (c *Cluster) Proxies() []ProxyInfo {
	out := make([]ProxyInfo, 0, len(c.proxies))
	for i, p := range c.proxies {
		out = append(out, ProxyInfo{
			Node: fmt.Sprintf("n%d", i+1), Proc: p.proc, GRPC: c.addr(p.grpc), Mode: c.proxyMode(),
			ServiceAddress: c.proxyServiceAddress(i), NodePortAddress: c.cfg.Host,
			DNS: c.proxyHostDNS(i, p.grpc), DNSBridge: c.dnsBridge(),
		})
	}
	return out
}
