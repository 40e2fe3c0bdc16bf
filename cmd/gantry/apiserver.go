package main

import (
	"strings"

	"github.com/gantryio/gantry/services/apiserver"
	"github.com/gantryio/gantry/services/apiserver/servicenet"
	"github.com/spf13/cobra"
)

func apiserverCmd() *cobra.Command {
	cfg := apiserver.DefaultConfig()
	var initial, join, serviceCIDR, nodePorts string
	cmd := &cobra.Command{
		Use:   "apiserver",
		Short: "Run a master: the API server with its Raft-replicated store",
		Example: `  gantry apiserver --id m1 --data-dir /var/lib/gantry/m1 --listen 127.0.0.1:7001 \
    --raft-listen 127.0.0.1:7101 --http-listen 127.0.0.1:7201 \
    --initial-cluster m1=127.0.0.1:7101,m2=127.0.0.1:7102,m3=127.0.0.1:7103`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.InitialCluster, err = apiserver.ParseInitialCluster(initial); err != nil {
				return err
			}
			if join != "" {
				cfg.Join = strings.Split(join, ",")
			}
			if cfg.API.ServiceNetwork, err = servicenet.Parse(serviceCIDR, nodePorts); err != nil {
				return err
			}
			log, err := newLogger(cmd)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			s, err := apiserver.New(cfg, log)
			if err != nil {
				return err
			}
			return s.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.ID, "id", "", "this master's permanent id (required)")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory for the Raft log, snapshots and stable state (required)")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:7001", "gRPC listen address")
	f.StringVar(&cfg.Advertise, "advertise", "", "gRPC address other masters and clients use (default: --listen)")
	f.StringVar(&cfg.RaftListen, "raft-listen", "127.0.0.1:7101", "Raft peer address (listened on and advertised)")
	f.StringVar(&cfg.HTTPListen, "http-listen", "127.0.0.1:7201", "HTTP address for /healthz, /readyz and /metrics (empty: off)")
	f.BoolVar(&cfg.Profiling, "profiling", cfg.Profiling, "serve Go runtime profiles (net/http/pprof) under /debug/pprof/ on --http-listen")
	f.StringVar(&initial, "initial-cluster", "", "bootstrap a new cluster: id=raftaddr,... including this master")
	f.StringVar(&join, "join", "", "join a running cluster through these masters' gRPC addresses (comma separated)")
	f.DurationVar(&cfg.Raft.HeartbeatTimeout, "raft-heartbeat-timeout", cfg.Raft.HeartbeatTimeout, "Raft heartbeat timeout")
	f.DurationVar(&cfg.Raft.ElectionTimeout, "raft-election-timeout", cfg.Raft.ElectionTimeout, "Raft election timeout")
	f.DurationVar(&cfg.Raft.LeaderLeaseTimeout, "raft-leader-lease-timeout", cfg.Raft.LeaderLeaseTimeout, "Raft leader lease timeout")
	f.DurationVar(&cfg.Raft.CommitTimeout, "raft-commit-timeout", cfg.Raft.CommitTimeout, "longest a follower waits to learn of a commit when no new entries come")
	f.Uint64Var(&cfg.Raft.SnapshotThreshold, "snapshot-threshold", cfg.Raft.SnapshotThreshold, "log entries between snapshots")
	f.StringVar(&cfg.Raft.LogStore, "raft-log-store", cfg.Raft.LogStore, "where the Raft log lives: bolt (raft.db) or wal (hashicorp/raft-wal: one fsync per append instead of two; experimental upstream). A data directory keeps its backend")
	f.Uint64Var(&cfg.Raft.TrailingLogs, "trailing-logs", cfg.Raft.TrailingLogs, "log entries kept after a snapshot for slow followers")
	f.IntVar(&cfg.Store.EventLogSize, "event-log-size", cfg.Store.EventLogSize, "events kept in memory for watches to resume from")
	f.DurationVar(&cfg.EventGC.TTL, "event-ttl", cfg.EventGC.TTL, "Events not seen for this long are deleted by the leader (0: kept until --max-events)")
	f.IntVar(&cfg.EventGC.MaxEvents, "max-events", cfg.EventGC.MaxEvents, "most Events the cluster keeps; the leader deletes the oldest beyond it (0: no cap)")
	f.DurationVar(&cfg.Watch.SendInterval, "watch-send-interval", cfg.Watch.SendInterval, "least time between two responses of one busy watch: changes arriving meanwhile share a message (0: none)")
	f.DurationVar(&cfg.Watch.BookmarkInterval, "bookmark-interval", cfg.Watch.BookmarkInterval, "how often idle watches get a bookmark")
	f.Int64Var(&cfg.API.Tolerations.NotReadySeconds, "default-not-ready-toleration-seconds", cfg.API.Tolerations.NotReadySeconds,
		"tolerationSeconds of the node.gantry.io/not-ready:NoExecute toleration added to every pod that has none (negative: add none)")
	f.Int64Var(&cfg.API.Tolerations.UnreachableSeconds, "default-unreachable-toleration-seconds", cfg.API.Tolerations.UnreachableSeconds,
		"tolerationSeconds of the node.gantry.io/unreachable:NoExecute toleration added to every pod that has none (negative: add none)")
	f.StringVar(&serviceCIDR, "service-cluster-ip-range", servicenet.DefaultClusterIPRange,
		"IPv4 CIDR (/12 to /30) Services get cluster IPs from; its first address is kept for the API server's own Service. Give every master the same")
	f.StringVar(&nodePorts, "service-node-port-range", servicenet.DefaultNodePortRange,
		"FIRST-LAST ports NodePort and LoadBalancer Services get node ports from. Give every master the same")
	return cmd
}
