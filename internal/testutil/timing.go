package testutil

import (
	"time"

	"github.com/gantryio/gantry/services/apiserver"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
)

// steadyRaftTimeout is the heartbeat, election and leader lease timeout
// of in-process clusters. The product's 500 ms (raftnode.DefaultConfig)
// assumes masters that get the CPU when they need it; three masters in
// one race-instrumented test binary on a busy 2-core machine regularly
// miss each other for 500–700 ms, and the leader steps down: writes fail
// with "leadership lost", a member's role changes under a test that is
// about something else. Four times that lapse keeps one leader for a
// test's life; it costs a slower first election (2–4 s) and a slower
// failover after Crash, which no test but those about failover timing
// notices — they ask for the product's timeouts with ProductRaftTimeouts.
const steadyRaftTimeout = 2 * time.Second

func steadyRaft(cfg *apiserver.Config) {
	cfg.Raft.HeartbeatTimeout = steadyRaftTimeout
	cfg.Raft.ElectionTimeout = steadyRaftTimeout
	cfg.Raft.LeaderLeaseTimeout = steadyRaftTimeout
}

// ProductRaftTimeouts gives the members the product's Raft timeouts
// (raftnode.DefaultConfig) instead of the steady ones in-process clusters
// use otherwise, for tests that measure failover as users would see it.
// Leadership may then change at any moment under load.
func ProductRaftTimeouts(cfg *apiserver.Config) {
	d := raftnode.DefaultConfig()
	cfg.Raft.HeartbeatTimeout = d.HeartbeatTimeout
	cfg.Raft.ElectionTimeout = d.ElectionTimeout
	cfg.Raft.LeaderLeaseTimeout = d.LeaderLeaseTimeout
}
