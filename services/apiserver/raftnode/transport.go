package raftnode

import (
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Transport settings: connections pooled per peer, and the I/O deadline of
// one RPC (InstallSnapshot scales it with the snapshot's size).
const (
	transportMaxPool = 4
	transportTimeout = 10 * time.Second
)

// newTransport listens for Raft peers on addr.
//
// Pipelined replication is off (one AppendEntries in flight per follower).
// hashicorp/raft's pipeline can deadlock (hashicorp/raft#612): when its
// response decoder stops — the follower answered with a newer term or a
// rejection — the sender may still pick one more send, which then waits
// forever for a decoder slot, while the decoder waits forever for a reader
// of its last response. The replication goroutine never ends, so the
// follower gets heartbeats but no entries, and Raft's Shutdown (which
// waits for that goroutine) never returns: a master that lost leadership
// under load could not stop. Synchronous replication still sends up to
// MaxAppendEntries entries per round trip, and hashicorp measured the
// pipeline to bring little latency or throughput besides
// (hashicorp/raft#541).
func newTransport(addr string, advertise net.Addr, logger hclog.Logger) (*raft.NetworkTransport, error) {
	return raft.NewTCPTransportWithConfig(addr, advertise, &raft.NetworkTransportConfig{
		MaxPool:         transportMaxPool,
		Timeout:         transportTimeout,
		Logger:          logger,
		MaxRPCsInFlight: 1,
	})
}
