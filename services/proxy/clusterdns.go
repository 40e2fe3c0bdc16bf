package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/nodeagent/network"
	"github.com/gantryio/gantry/services/proxy/dns"
	"go.uber.org/zap"
)

// DNSBridgeHost, as the host of a --dns-listen address, stands for the
// node's bridge address: the first address of the Node's spec.podCIDR,
// which is the gateway of the node's pods (see nodeagent/network), so the
// node agent can write it into their resolv.conf without asking anyone.
// Pods of the node (the pod CIDR) are then allowed as clients.
const DNSBridgeHost = "bridge"

// podCIDRPoll spaces the reads of the Node while it has no pod CIDR yet.
const podCIDRPoll = time.Second

// newDNS creates the cluster DNS server when cfg.DNS.Listen is set.
func (p *Proxy) newDNS() error {
	if len(p.cfg.DNS.Listen) == 0 {
		return nil
	}
	s, err := dns.New(p.cfg.DNS, dns.Deps{View: p, Resolve: p.resolveDNSHost, Registerer: p.metrics.reg}, p.log.Named("dns"))
	if err != nil {
		return err
	}
	p.dns = s
	return nil
}

// validDNSListen checks the hosts of the DNS listen addresses (the DNS
// server checks the rest).
func validDNSListen(listen []string) error {
	for _, l := range listen {
		if host, _, err := net.SplitHostPort(l); err == nil && host != DNSBridgeHost {
			if _, err := netip.ParseAddr(host); err != nil {
				return fmt.Errorf("%w: DNS listen %q: the host must be an IP address or %q", ErrConfig, l, DNSBridgeHost)
			}
		}
	}
	return nil
}

// DNS returns the cluster DNS server (nil when off).
func (p *Proxy) DNS() *dns.Server { return p.dns }

// resolveDNSHost resolves DNSBridgeHost, waiting for the Node to have a
// pod CIDR (the controller allocates it after the node registers).
func (p *Proxy) resolveDNSHost(ctx context.Context, host string) (netip.Prefix, error) {
	if host != DNSBridgeHost {
		return netip.Prefix{}, fmt.Errorf("unknown host %q: want an IP address or %q", host, DNSBridgeHost)
	}
	waiting := false
	for {
		cidr, err := p.nodePodCIDR(ctx)
		if err == nil && cidr != "" {
			return network.Gateway(cidr)
		}
		if !waiting {
			p.log.Info("cluster DNS waits for the node's pod CIDR to serve on its bridge", zap.String("node", p.cfg.NodeName), zap.Error(err))
			waiting = true
		}
		select {
		case <-ctx.Done():
			return netip.Prefix{}, ctx.Err()
		case <-time.After(podCIDRPoll):
		}
	}
}

// nodePodCIDR reads the proxy's Node's spec.podCIDR ("" when not set or
// the Node does not exist yet).
func (p *Proxy) nodePodCIDR(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := p.api.List(ctx, &gantryv1.ListRequest{Kind: apimeta.KindNode, FieldSelector: "metadata.name=" + p.cfg.NodeName, Limit: 1})
	if err != nil {
		return "", err
	}
	for _, o := range resp.GetItems() {
		return o.GetNode().GetSpec().GetPodCidr(), nil
	}
	return "", nil
}
