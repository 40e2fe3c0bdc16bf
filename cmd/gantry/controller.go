package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/clientconfig"
	"github.com/gantryio/gantry/services/controller"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/spf13/cobra"
)

func init() { register(controllerCmd) }

func controllerCmd() *cobra.Command {
	cfg := controller.DefaultConfig()
	var servers, controllers, gcKinds string
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the controller manager: ReplicaSet, Deployment, garbage collector, node IPAM, node lifecycle, endpoint slices (one active replica, elected through a Lease)",
		Example: `  gantry controller --servers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
  grpcurl -plaintext 127.0.0.1:7401 gantry.v1.ControllerService/Status
  curl -s 127.0.0.1:7411/metrics | grep gantry_controller_`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ccfg, err := controllerClientConfig(servers)
			if err != nil {
				return err
			}
			if cfg.Controllers, err = pickControllers(controllers); err != nil {
				return err
			}
			if gcKinds != "" {
				cfg.GCKinds = controllerList(gcKinds)
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
			ev, stopEvents, err := startEvents(cmd.Context(), c, log)
			if err != nil {
				return err
			}
			defer stopEvents()
			m, err := controller.New(cfg, controller.Deps{Client: ctrl.NewAPIClient(c), Events: ev}, log)
			if err != nil {
				return err
			}
			return m.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&servers, "servers", "", "apiserver gRPC addresses, comma separated (default: the client config file's)")
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "gRPC address of the ControllerService")
	f.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "HTTP address for /healthz and /metrics (empty: off)")
	f.StringVar(&cfg.Election.Identity, "id", "", "identity in the leader election (default: hostname_pid)")
	f.DurationVar(&cfg.Election.LeaseDuration, "lease-duration", cfg.Election.LeaseDuration, "leader lease duration")
	f.DurationVar(&cfg.Election.RenewDeadline, "renew-deadline", cfg.Election.RenewDeadline, "how long the leader retries renewing before it gives up")
	f.DurationVar(&cfg.Election.RetryPeriod, "retry-period", cfg.Election.RetryPeriod, "how often candidates try to take or renew the lease")
	f.StringVar(&controllers, "controllers", "*", `controllers to run: "*" for all, names to pick, "-name" to leave one out (`+strings.Join(controller.AllControllers, ", ")+`)`)
	f.IntVar(&cfg.ReplicaSet.Workers, "concurrent-replicaset-syncs", cfg.ReplicaSet.Workers, "ReplicaSets reconciled at once")
	f.IntVar(&cfg.Deployment.Workers, "concurrent-deployment-syncs", cfg.Deployment.Workers, "Deployments reconciled at once")
	f.IntVar(&cfg.GC.Workers, "concurrent-gc-syncs", cfg.GC.Workers, "garbage collector workers")
	f.IntVar(&cfg.ReplicaSet.BurstReplicas, "replicaset-burst", cfg.ReplicaSet.BurstReplicas, "most pods one ReplicaSet sync creates or deletes")
	f.IntVar(&cfg.ReplicaSet.BatchSize, "replicaset-batch-size", cfg.ReplicaSet.BatchSize, "most pod creates or deletes per Batch call")
	f.IntVar(&cfg.ReplicaSet.BatchParallelism, "replicaset-batch-parallelism", cfg.ReplicaSet.BatchParallelism, "Batch calls one ReplicaSet sync keeps in flight")
	f.StringVar(&gcKinds, "gc-kinds", "", "kinds the garbage collector watches, comma separated (default: every kind but Event)")
	f.StringVar(&cfg.NodeIPAM.ClusterCIDR, "cluster-cidr", cfg.NodeIPAM.ClusterCIDR, "CIDR the node pod CIDRs are allocated from")
	f.IntVar(&cfg.NodeIPAM.NodeMaskSize, "node-cidr-mask-size", cfg.NodeIPAM.NodeMaskSize, "prefix length of each node's pod CIDR")
	es := &cfg.EndpointSlice
	f.IntVar(&es.Workers, "concurrent-service-endpoint-syncs", es.Workers, "Services whose endpoint slices are synced at once")
	f.IntVar(&es.MaxEndpointsPerSlice, "max-endpoints-per-slice", es.MaxEndpointsPerSlice, "most endpoints in one EndpointSlice (1-1000)")
	f.DurationVar(&es.BatchPeriod, "endpoint-updates-batch-period", es.BatchPeriod,
		"how long a pod change waits before its Services' slices are synced, so that a burst of changes is written once (0: at once)")
	nl := &cfg.NodeLifecycle
	f.DurationVar(&nl.GracePeriod, "node-monitor-grace-period", nl.GracePeriod,
		"how long a node's lease may go unrenewed before the node is Unknown and tainted node.gantry.io/unreachable:NoExecute")
	f.DurationVar(&nl.MonitorPeriod, "node-monitor-period", nl.MonitorPeriod, "how often the share of unhealthy nodes (the eviction brake) is checked")
	f.Float64Var(&nl.EvictionRate, "node-eviction-rate", nl.EvictionRate,
		"nodes per second that may get a new NoExecute taint (their pods are evicted when their tolerations run out)")
	f.Float64Var(&nl.UnhealthyThreshold, "unhealthy-zone-threshold", nl.UnhealthyThreshold,
		"fraction of unhealthy nodes above which nothing is tainted or evicted (all nodes down also stops evictions)")
	return cmd
}

// pickControllers turns --controllers into a list: "*" is all, a name
// adds one, "-name" removes one (first in the list: all but that one).
func pickControllers(spec string) ([]string, error) {
	items := controllerList(spec)
	if len(items) == 0 {
		return nil, fmt.Errorf("--controllers: empty")
	}
	var out []string
	for i, it := range items {
		switch {
		case it == "*":
			out = append(out, controller.AllControllers...)
		case strings.HasPrefix(it, "-"):
			if i == 0 {
				out = append(out, controller.AllControllers...)
			}
			out = slices.DeleteFunc(out, func(n string) bool { return n == it[1:] })
		default:
			out = append(out, it)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func controllerList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// controllerClientConfig returns the client config for --servers, or for
// the client config file when it is empty.
func controllerClientConfig(servers string) (client.Config, error) {
	cfg := client.DefaultConfig()
	if servers != "" {
		cfg.Servers = controllerList(servers)
		return cfg, nil
	}
	path, err := clientconfig.Path()
	if err != nil {
		return cfg, err
	}
	cc, err := clientconfig.Load(path)
	if err != nil {
		return cfg, fmt.Errorf("no --servers and no client config: %w", err)
	}
	cfg.Servers = cc.Servers
	return cfg, nil
}
