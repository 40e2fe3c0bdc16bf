package api

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apistatus"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
	"github.com/gantryio/gantry/services/apiserver/store"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// forwarder sends calls this master cannot serve to the leader, over one
// pooled connection per leader address.
type forwarder struct {
	raft Raft
	st   *store.Store
	log  *zap.Logger
	// hold is how long a call waits for a leader to appear.
	hold time.Duration

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

func newForwarder(r Raft, st *store.Store, hold time.Duration, log *zap.Logger) *forwarder {
	return &forwarder{raft: r, st: st, hold: hold, log: log, conns: map[string]*grpc.ClientConn{}}
}

// isForwarded reports whether another master already forwarded this call.
func isForwarded(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	return len(md.Get(apistatus.Forwarded)) > 0
}

// do runs local when this master is the ready leader, else call against
// the leader. While there is no leader, or the leader cannot be reached
// before anything was sent, it waits (up to hold) and tries again.
func (f *forwarder) do(ctx context.Context, local func(context.Context) error, call func(context.Context, *grpc.ClientConn) error) error {
	deadline := time.Now().Add(f.hold)
	for {
		if f.raft.IsLeader() {
			return local(ctx)
		}
		if isForwarded(ctx) {
			return fmt.Errorf("%w: forwarded call reached %s, which is not the leader", errNoLeader, f.raft.ID())
		}
		conn, err := f.leaderConn()
		if err == nil {
			err = call(metadata.AppendToOutgoingContext(ctx, apistatus.Forwarded, f.raft.ID()), conn)
			if !notSent(err) {
				return lostInTransit(err)
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%w: %v", errNoLeader, err)
		}
		f.waitForChange(ctx)
	}
}

// notSent reports whether err proves the call never reached a leader that
// could have applied it, so trying again cannot apply it twice.
func notSent(err error) bool {
	if err == nil {
		return false
	}
	if apistatus.WriteRetryable(err) {
		return true
	}
	st, _ := status.FromError(err)
	return st.Code() == codes.Unavailable && apistatus.Reason(err) == "" && strings.Contains(st.Message(), "connection refused")
}

// lostInTransit turns an UNAVAILABLE without a reason into
// ErrOutcomeUnknown. The leader's own answers always say whether they
// applied, so such an error came from the connection to the leader (it
// went away mid-call) and the call may or may not have been applied.
func lostInTransit(err error) error {
	if status.Code(err) == codes.Unavailable && apistatus.Reason(err) == "" {
		return fmt.Errorf("%w: the leader went away before answering a forwarded call: %v", raftnode.ErrOutcomeUnknown, err)
	}
	return err
}

func (f *forwarder) waitForChange(ctx context.Context) {
	t := time.NewTimer(50 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-f.raft.ReadyChanged():
	case <-t.C:
	}
}

// leaderConn returns a connection to the current leader's API address.
func (f *forwarder) leaderConn() (*grpc.ClientConn, error) {
	id, _ := f.raft.Leader()
	if id == "" {
		return nil, fmt.Errorf("%w: no leader elected", errNoLeader)
	}
	if id == f.raft.ID() {
		return nil, fmt.Errorf("%w: this master leads but is not ready yet", errNoLeader)
	}
	m, ok := f.st.Member(id)
	if !ok || m.GetApiAddress() == "" {
		return nil, fmt.Errorf("%w: the API address of leader %s is not known yet", errNoLeader, id)
	}
	return f.conn(m.GetApiAddress())
}

func (f *forwarder) conn(addr string) (*grpc.ClientConn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.conns[addr]; ok {
		return c, nil
	}
	c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgBytes), grpc.MaxCallSendMsgSize(maxMsgBytes)))
	if err != nil {
		return nil, fmt.Errorf("dial leader %s: %w", addr, err)
	}
	f.conns[addr] = c
	return c, nil
}

func (f *forwarder) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.conns = map[string]*grpc.ClientConn{}
}

func resources(c *grpc.ClientConn) gantryv1.ResourceServiceClient {
	return gantryv1.NewResourceServiceClient(c)
}
func cluster(c *grpc.ClientConn) gantryv1.ClusterServiceClient {
	return gantryv1.NewClusterServiceClient(c)
}
