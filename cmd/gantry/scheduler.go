package main

import (
	"fmt"
	"strings"

	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/clientconfig"
	"github.com/gantryio/gantry/services/scheduler"
	"github.com/spf13/cobra"
)

func init() { register(schedulerCmd) }

func schedulerCmd() *cobra.Command {
	cfg := scheduler.DefaultConfig()
	var servers string
	cmd := &cobra.Command{
		Use:   "scheduler",
		Short: "Run the scheduler: place pending pods on nodes (one active replica, elected through a Lease)",
		Example: `  gantry scheduler --servers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
  grpcurl -plaintext 127.0.0.1:7301 gantry.v1.SchedulerService/Status
  grpcurl -plaintext -d '{"namespace":"default","name":"web-1"}' 127.0.0.1:7301 gantry.v1.SchedulerService/Explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ccfg, err := schedulerClientConfig(servers)
			if err != nil {
				return err
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
			s, err := scheduler.New(cfg, scheduler.Deps{Client: c, Recorder: ev.NewRecorder(cfg.SchedulerName, "")}, log)
			if err != nil {
				return err
			}
			return s.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&servers, "servers", "", "apiserver gRPC addresses, comma separated (default: the client config file's)")
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "gRPC address of the SchedulerService")
	f.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "HTTP address for /healthz and /metrics (empty: off)")
	f.StringVar(&cfg.SchedulerName, "scheduler-name", cfg.SchedulerName, "schedule the pods whose spec.schedulerName is this")
	f.StringVar(&cfg.Election.Identity, "id", "", "identity in the leader election (default: hostname_pid)")
	f.DurationVar(&cfg.Election.LeaseDuration, "lease-duration", cfg.Election.LeaseDuration, "leader lease duration")
	f.DurationVar(&cfg.Election.RenewDeadline, "renew-deadline", cfg.Election.RenewDeadline, "how long the leader retries renewing before it gives up")
	f.DurationVar(&cfg.Election.RetryPeriod, "retry-period", cfg.Election.RetryPeriod, "how often candidates try to take or renew the lease")
	f.IntVar(&cfg.PercentageOfNodesToScore, "percentage-of-nodes-to-score", cfg.PercentageOfNodesToScore,
		"share of a large cluster's nodes to find feasible before scoring (0: adaptive, 100: all)")
	f.IntVar(&cfg.BindBatchSize, "bind-batch-size", cfg.BindBatchSize, "most bindings per Bind call")
	f.DurationVar(&cfg.BindBatchWait, "bind-batch-wait", cfg.BindBatchWait, "how long to gather bindings after the first")
	f.IntVar(&cfg.BindWorkers, "bind-workers", cfg.BindWorkers, "Bind calls in flight at once")
	return cmd
}

// schedulerClientConfig returns the client config for --servers, or for
// the client config file when it is empty.
func schedulerClientConfig(servers string) (client.Config, error) {
	cfg := client.DefaultConfig()
	if servers != "" {
		for _, s := range strings.Split(servers, ",") {
			if s = strings.TrimSpace(s); s != "" {
				cfg.Servers = append(cfg.Servers, s)
			}
		}
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
