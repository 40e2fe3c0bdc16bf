package nodeagent

import (
	"os"

	"github.com/gantryio/gantry/services/nodeagent/network"
	"github.com/gantryio/gantry/services/nodeagent/poddns"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
)

func (c *Config) podDNS() poddns.Config {
	return poddns.Config{Servers: c.ClusterDNS, Domain: c.ClusterDomain, HostResolvConf: c.ResolvConf}
}

// withPodDNS wraps a node's process runtime so that its pods get the
// cluster's DNS, when --cluster-dns is set and it can work here: a
// container sees the pod's resolv.conf through a mount namespace of its
// own (root), and "bridge" needs pod networking.
func (a *Agent) withPodDNS(rt runtime.Runtime) runtime.Runtime {
	cfg := a.cfg.podDNS()
	switch {
	case len(cfg.Servers) == 0:
		return rt
	case os.Geteuid() != 0:
		a.log.Warn("--cluster-dns needs root (each container sees the pod's resolv.conf through a mount namespace of its own): pods keep the host's resolv.conf")
		return rt
	case cfg.UsesBridge() && a.net == nil:
		a.log.Warn("--cluster-dns bridge needs pod networking, and pods share the host network here: they keep the host's resolv.conf")
		return rt
	}
	a.log.Info("pods get cluster DNS", zap.Strings("servers", cfg.Servers), zap.String("domain", cfg.Domain))
	return poddns.Wrap(rt, cfg, a.bridgeAddr, a.log)
}

// bridgeAddr is the node's bridge address ("" before the pod CIDR).
func (a *Agent) bridgeAddr() string {
	if a.net == nil {
		return ""
	}
	gw, err := network.Gateway(a.net.PodCIDR())
	if err != nil {
		return ""
	}
	return gw.Addr().String()
}
