package raftnode

import (
	"errors"
	"net"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// TestTransportDoesNotPipeline: replication must take hashicorp/raft's
// synchronous path, whose pipelined one can wedge a replication goroutine
// for good and with it Shutdown (see newTransport). Raft falls back to the
// synchronous path exactly when the transport refuses a pipeline.
func TestTransportDoesNotPipeline(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	tr, err := newTransport("127.0.0.1:0", addr, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	p, err := tr.AppendEntriesPipeline("peer", raft.ServerAddress(tr.LocalAddr()))
	if !errors.Is(err, raft.ErrPipelineReplicationNotSupported) {
		if p != nil {
			_ = p.Close()
		}
		t.Fatalf("AppendEntriesPipeline = %v, want %v: pipelined replication is on", err, raft.ErrPipelineReplicationNotSupported)
	}
}
