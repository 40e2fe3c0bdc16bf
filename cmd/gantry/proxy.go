package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/services/proxy"
	"github.com/gantryio/gantry/services/proxy/ingress"
	"github.com/spf13/cobra"
)

func init() { register(proxyCmd) }

func proxyCmd() *cobra.Command {
	cfg := proxy.DefaultConfig()
	ingressDefaults := ingress.DefaultConfig()
	cfg.Ingress.HTTPListen, cfg.Ingress.HTTPSListen = ingressDefaults.HTTPListen, ingressDefaults.HTTPSListen
	var servers string
	var dnsClients []string
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run a node's service proxy: route service addresses to ready endpoints (userspace relays or nftables)",
		Example: `  gantry proxy --servers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --node n1 --mode userspace
  grpcurl -plaintext 127.0.0.1:10249 gantry.v1.ProxyService/Status
  grpcurl -plaintext -d '{"namespace":"default","name":"web"}' 127.0.0.1:10249 gantry.v1.ProxyService/Routes
  curl -H 'Host: web.example.com' http://127.0.0.1:10080/   # ingress; rules: grpcurl -plaintext 127.0.0.1:10249 gantry.v1.ProxyService/IngressRoutes
  gantry proxy --node n1 --dns-listen 127.0.0.1:10053,bridge:53   # then: dig @127.0.0.1 -p 10053 web.default.svc.cluster.local`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ccfg, err := schedulerClientConfig(servers)
			if err != nil {
				return err
			}
			for _, c := range dnsClients {
				p, err := netip.ParsePrefix(c)
				if err != nil {
					return fmt.Errorf("--dns-clients %q: want a CIDR such as 10.244.0.0/16", c)
				}
				cfg.DNS.Clients = append(cfg.DNS.Clients, p)
			}
			log, err := newLogger(cmd)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			c, err := client.New(ccfg, log)
			if err != nil {
				return err
			}
			defer func() { _ = c.Close() }()
			p, err := proxy.New(cfg, proxy.Deps{Client: c}, log)
			if err != nil {
				return err
			}
			return p.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	u := &cfg.Userspace
	f.StringVar(&servers, "servers", "", "apiserver gRPC addresses, comma separated (default: the client config file's)")
	f.StringVar(&cfg.NodeName, "node", "", "name of the node this proxy serves (required)")
	f.StringVar(&cfg.Mode, "mode", cfg.Mode, fmt.Sprintf("dataplane: %s, or auto (the first of them that can run here)", strings.Join(proxy.Modes(), ", ")))
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "gRPC address of the ProxyService")
	f.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "HTTP address for /healthz and /metrics (empty: off)")
	f.DurationVar(&cfg.MinSyncPeriod, "min-sync-period", cfg.MinSyncPeriod, "least time between two syncs of the dataplane; changes meanwhile are coalesced")
	f.StringVar(&u.Address, "userspace-address", u.Address, "userspace mode: the local IP that serves every service port")
	f.StringVar(&u.NodePortAddress, "nodeport-address", u.NodePortAddress, "userspace mode: the IP that serves node ports (empty: none)")
	f.IntVar(&u.MaxConns, "max-conns", u.MaxConns, "userspace mode: most TCP connections relayed at once")
	f.DurationVar(&u.DialTimeout, "dial-timeout", u.DialTimeout, "userspace mode: timeout of one dial to an endpoint")
	f.IntVar(&u.MaxUDPSessions, "max-udp-sessions", u.MaxUDPSessions, "userspace mode: most UDP sessions at once")
	f.DurationVar(&u.UDPIdleTimeout, "udp-idle-timeout", u.UDPIdleTimeout, "userspace mode: a UDP session without traffic for this long ends")
	d := &cfg.DNS
	f.StringSliceVar(&d.Listen, "dns-listen", d.Listen, "cluster DNS addresses, UDP and TCP (host:port; host \"bridge\" is the node's bridge address, the first of its pod CIDR, once allocated). Empty: no DNS")
	f.StringVar(&d.Zone, "cluster-domain", d.Zone, "the cluster domain DNS is authoritative for")
	f.DurationVar(&d.TTL, "dns-ttl", d.TTL, "TTL of DNS answers, negative ones included")
	f.StringSliceVar(&d.Upstream, "dns-upstream", d.Upstream, "where names outside the cluster domain go: a resolv.conf path, or IP[:port] addresses. Empty: they are refused")
	f.DurationVar(&d.UpstreamTimeout, "dns-upstream-timeout", d.UpstreamTimeout, "timeout of one exchange with an upstream resolver")
	f.IntVar(&d.MaxUpstreamQueries, "dns-max-upstream-queries", d.MaxUpstreamQueries, "most forwarded DNS queries at once (SERVFAIL beyond)")
	f.IntVar(&d.MaxQueries, "dns-max-queries", d.MaxQueries, "most DNS queries answered at once (SERVFAIL beyond)")
	f.StringSliceVar(&dnsClients, "dns-clients", nil, "CIDRs allowed to query DNS besides loopback and, with bridge, the node's pod CIDR")
	n := &cfg.NFTables
	f.StringVar(&n.Table, "nftables-table", n.Table, "nftables mode: the ip table the proxy owns (default gantry-proxy-<node>)")
	f.StringVar(&n.Spread, "nftables-spread", n.Spread, "nftables mode: how connections are spread over endpoints: random or round-robin")
	ig := &cfg.Ingress
	f.StringVar(&ig.HTTPListen, "ingress-http-listen", ig.HTTPListen, "ingress: HTTP address (SO_REUSEPORT: the proxies of one host share it; empty: no plain HTTP)")
	f.StringVar(&ig.HTTPSListen, "ingress-https-listen", ig.HTTPSListen, "ingress: HTTPS address, certificates from the Ingresses' TLS Secrets by SNI (empty: no HTTPS). Both empty: no ingress")
	f.StringVar(&ig.Class, "ingress-class", ig.Class, "ingress: the ingressClassName served (Ingresses without one are served too)")
	f.IntVar(&ig.MaxConns, "ingress-max-conns", ig.MaxConns, "ingress: most client connections open at once per listener")
	f.DurationVar(&ig.ReadTimeout, "ingress-read-timeout", ig.ReadTimeout, "ingress: most time to read a request, body included")
	f.DurationVar(&ig.WriteTimeout, "ingress-write-timeout", ig.WriteTimeout, "ingress: most time to write a response")
	f.DurationVar(&ig.IdleTimeout, "ingress-idle-timeout", ig.IdleTimeout, "ingress: a kept-alive client connection idle this long is closed")
	f.DurationVar(&ig.ResponseHeaderTimeout, "ingress-backend-timeout", ig.ResponseHeaderTimeout, "ingress: most time to wait for a backend's response header")
	_ = cmd.MarkFlagRequired("node")
	return cmd
}
