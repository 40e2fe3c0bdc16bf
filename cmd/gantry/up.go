package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gantryio/gantry/internal/clientconfig"
	"github.com/gantryio/gantry/internal/localcluster"
	"github.com/spf13/cobra"
)

func upCmd() *cobra.Command {
	cfg := localcluster.DefaultConfig()
	var fresh bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a local cluster (masters, scheduler, controller, node agents) as child processes; Ctrl-C stops it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.DataDir == "" {
				home, err := os.UserHomeDir()
				if err != nil {
					return fmt.Errorf("find a data directory (use --data-dir): %w", err)
				}
				cfg.DataDir = filepath.Join(home, ".gantry", "local")
			}
			if fresh {
				if err := os.RemoveAll(cfg.DataDir); err != nil {
					return err
				}
			}
			cfg.LogLevel, _ = cmd.Flags().GetString("log-level")
			return runUp(cmd, cfg)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Masters, "masters", cfg.Masters, "number of masters (apiservers)")
	f.StringVar(&cfg.DataDir, "data-dir", "", "data directory (default ~/.gantry/local)")
	f.IntVar(&cfg.BasePort, "base-port", cfg.BasePort, "first gRPC port; Raft uses +100, HTTP +200 (0: pick free ports)")
	f.BoolVar(&fresh, "fresh", false, "delete the data directory first")
	f.IntVar(&cfg.Workers.Nodes, "nodes", 2, "number of node agents (process runtime)")
	f.BoolVar(&cfg.Workers.Scheduler, "scheduler", true, "run the scheduler")
	f.BoolVar(&cfg.Workers.Controller, "controller", true, "run the controller manager")
	f.BoolVar(&cfg.Workers.Proxies, "proxy", true, "run a service proxy beside every node agent")
	f.StringVar(&cfg.Workers.ProxyMode, "proxy-mode", "auto", "the proxies' dataplane: userspace, nftables, or auto (nftables when root and available)")
	f.StringArrayVar(&cfg.MasterArgs, "master-arg", nil, "extra flag for every master (repeatable), e.g. --master-arg=--raft-log-store=wal on a fresh data directory")
	f.DurationVar(&cfg.NodeFailure.Grace, "node-monitor-grace", 0,
		"how long a node may stop renewing its lease before it is Unknown and tainted (0: the controller's default, 40s)")
	f.DurationVar(&cfg.NodeFailure.EvictionTimeout, "pod-eviction-timeout", 0,
		"how long pods stay on a not-ready or unreachable node before they are evicted and replaced (0: the default toleration, 300s)")
	return cmd
}

func runUp(cmd *cobra.Command, cfg localcluster.Config) error {
	out := cmd.OutOrStdout()
	c, err := localcluster.New(cfg)
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(out, "stopping the cluster ...")
		c.Stop()
		fmt.Fprintln(out, "stopped")
	}()
	fmt.Fprintf(out, "starting %d masters, scheduler, controller and %d node agents (logs in %s) ...\n", cfg.Masters, cfg.Workers.Nodes, c.LogDir())
	if err := c.WaitReady(cmd.Context()); err != nil {
		return err
	}
	path, err := clientconfig.Path()
	if err == nil {
		err = clientconfig.Save(path, &clientconfig.Config{Servers: c.Servers()})
	}
	if err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	servers := c.Servers()
	fmt.Fprintf(out, `Gantry is up.
  masters (gRPC):   %s
  components:       %s
%s  metrics/health:   http://%s/metrics  /healthz  /readyz
  client config:    %s
  data:             %s

Try:
  grpcurl -plaintext %s list
  grpcurl -plaintext %s gantry.v1.ClusterService/Status
  grpcurl -plaintext -d '{"kind":"Namespace"}' %s gantry.v1.ResourceService/List

Press Ctrl-C to stop.
`, strings.Join(servers, ", "), workerList(c), proxyList(c)+ingressLine(c), c.HTTPAddrs()[0], path, cfg.DataDir, servers[0], servers[0], servers[0])
	<-cmd.Context().Done()
	return nil
}

func workerList(c *localcluster.Cluster) string {
	addrs := c.WorkerAddrs()
	names := make([]string, 0, len(addrs))
	for n := range addrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, n+" "+addrs[n])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// dnsLine says where a proxy serves cluster DNS ("" when it does not).
func dnsLine(p localcluster.ProxyInfo) string {
	var parts []string
	if p.DNS != "" {
		host, port, _ := net.SplitHostPort(p.DNS)
		dig := "dig @" + host
		if port != "53" {
			dig += " -p " + port
		}
		parts = append(parts, fmt.Sprintf("%s for the host (%s web.default.svc.cluster.local)", p.DNS, dig))
	}
	if p.DNSBridge {
		parts = append(parts, "the node's bridge address, port 53, for its pods (their resolv.conf)")
	}
	return strings.Join(parts, "; ")
}

// proxyList says where each node's proxy serves services (one line each).
func proxyList(c *localcluster.Cluster) string {
	var b strings.Builder
	for _, p := range c.Proxies() {
		where := fmt.Sprintf("service ports on %s, node ports on %s", p.ServiceAddress, p.NodePortAddress)
		if p.Mode == "nftables" {
			where = "nftables: service ports on their cluster IPs, node ports on the host's addresses but loopback"
		}
		fmt.Fprintf(&b, "  proxy %-10s  %s (routes: grpcurl -plaintext %s gantry.v1.ProxyService/Routes)\n",
			p.Node+":", where, p.GRPC)
		if dns := dnsLine(p); dns != "" {
			fmt.Fprintf(&b, "  dns   %-10s  %s\n", p.Node+":", dns)
		}
	}
	return b.String()
}
