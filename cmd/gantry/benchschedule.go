package main

import (
	"github.com/gantryio/gantry/internal/schedbench"
	"github.com/spf13/cobra"
)

func benchScheduleCmd() *cobra.Command {
	cfg := schedbench.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Measure scheduling: a Deployment's pods bound, Running and deleted on simulated nodes",
		Long: `Starts three masters, the scheduler, the controller manager and one node agent
playing --nodes simulated nodes, creates a Deployment of --pods replicas and
reports the seconds until every pod is bound, until every pod is Running and
until every pod is deleted again, with each process's peak memory (VmHWM).`,
		Example: `  gantry bench schedule --nodes 1000 --pods 10000`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(cmd)
			if err != nil {
				return err
			}
			cfg.Out = cmd.OutOrStdout()
			b, err := schedbench.New(cfg, log)
			if err != nil {
				return err
			}
			_, err = b.Run(cmd.Context())
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "simulated nodes")
	f.IntVar(&cfg.Pods, "pods", cfg.Pods, "replicas of the Deployment")
	f.StringVar(&cfg.DataDir, "data-dir", "", "keep the cluster's data and logs here (default: a temporary directory, removed)")
	f.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "bound on each phase")
	return cmd
}
