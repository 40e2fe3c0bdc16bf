package main

import (
	"fmt"
	"strings"

	"github.com/gantryio/gantry/services/nodeagent"
	"github.com/spf13/cobra"
)

func init() { register(nodeagentCmd) }

func nodeagentCmd() *cobra.Command {
	cfg := nodeagent.DefaultConfig()
	var servers, labels, pluginDirs string
	cmd := &cobra.Command{
		Use:   "nodeagent",
		Short: "Run a node agent: registers a node and runs the pods bound to it",
		Example: `  gantry nodeagent --servers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --name n1 \
    --runtime process --data-dir /var/lib/gantry/n1 --listen 127.0.0.1:10250 --http-listen 127.0.0.1:10255
  gantry nodeagent --simulate 1000 --name-prefix sim- --listen 127.0.0.1:10260 --http-listen ""`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if servers != "" {
				cfg.Servers = strings.Split(servers, ",")
			}
			var err error
			if cfg.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			if pluginDirs != "" {
				cfg.CNIPluginDirs = strings.Split(pluginDirs, ",")
			}
			cfg.Version = version
			log, err := newLogger(cmd)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			a, err := nodeagent.New(cfg, log)
			if err != nil {
				return err
			}
			return a.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&servers, "servers", "", "apiserver addresses, comma separated (default: the client config file's)")
	f.StringVar(&cfg.Name, "name", "", "node name (required unless --simulate)")
	f.StringVar(&labels, "labels", "", "extra node labels: k=v,k2=v2")
	f.StringVar(&cfg.Runtime, "runtime", cfg.Runtime, "container runtime: process or simulated")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory for pod state, logs and network state (required with --runtime process)")
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "gRPC address of NodeAgentService (its port is the node's daemon endpoint)")
	f.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "HTTP address for /healthz and /metrics (empty: off)")
	f.StringVar(&cfg.NodeIP, "node-ip", cfg.NodeIP, "the node's InternalIP and the pods' hostIP")
	f.StringVar(&cfg.CPU, "cpu", "", "cpu capacity (default: detected)")
	f.StringVar(&cfg.Memory, "memory", "", "memory capacity, e.g. 8Gi (default: detected)")
	f.IntVar(&cfg.MaxPods, "max-pods", cfg.MaxPods, "pods capacity")
	f.StringVar(&cfg.Network, "network", cfg.Network, "pod network: auto (pod networking when root and the CNI plugins exist), pod, or host")
	f.StringVar(&cfg.PodCIDR, "pod-cidr", "", "pod CIDR to set on the Node when it has none (without a controller allocating them)")
	f.StringVar(&cfg.ClusterCIDR, "cluster-cidr", cfg.ClusterCIDR, "the cluster's pod range: pods route it through their bridge")
	f.StringSliceVar(&cfg.ClusterDNS, "cluster-dns", nil, "nameservers of pods off the host network: IPs, or \"bridge\" (the node's bridge address, where gantry proxy --dns-listen bridge:53 serves). Empty: pods use the host's resolv.conf")
	f.StringVar(&cfg.ClusterDomain, "cluster-domain", cfg.ClusterDomain, "the cluster domain pods search first")
	f.StringVar(&cfg.ResolvConf, "resolv-conf", cfg.ResolvConf, "the host's resolv.conf, whose search domains pods search after the cluster's (empty: none)")
	f.StringVar(&pluginDirs, "cni-plugin-dirs", strings.Join(cfg.CNIPluginDirs, ","), "directories holding the CNI plugins")
	f.DurationVar(&cfg.LeaseDuration, "lease-duration", cfg.LeaseDuration, "node lease duration")
	f.DurationVar(&cfg.LeaseRenewInterval, "lease-renew-interval", cfg.LeaseRenewInterval, "how often the node lease is renewed")
	f.DurationVar(&cfg.HeartbeatInterval, "heartbeat-interval", cfg.HeartbeatInterval, "how often an unchanged node status is written")
	f.DurationVar(&cfg.StatusInterval, "status-interval", cfg.StatusInterval, "least time between two pod status flushes")
	f.DurationVar(&cfg.BackoffInitial, "backoff-initial", cfg.BackoffInitial, "first container restart back-off")
	f.DurationVar(&cfg.BackoffMax, "backoff-max", cfg.BackoffMax, "longest container restart back-off")
	f.Int64Var(&cfg.LogMaxBytes, "log-max-bytes", cfg.LogMaxBytes, "size at which a container log file rotates")
	f.BoolVar(&cfg.StopPodsOnExit, "stop-pods-on-exit", false, "stop every pod and remove the node's network on exit (default: pods keep running and the next agent adopts them)")
	f.IntVar(&cfg.Simulate, "simulate", 0, "play this many hollow nodes with the simulated runtime")
	f.StringVar(&cfg.NamePrefix, "name-prefix", cfg.NamePrefix, "name prefix of simulated nodes")
	return cmd
}

// parseLabels parses k=v,k2=v2.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--labels: %q is not key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}
