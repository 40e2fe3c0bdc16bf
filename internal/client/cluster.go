package client

import (
	"context"
	"errors"
	"io"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// ClusterStatus asks any master for the cluster's status, retrying as
// reads do (a master that just started answers UNAVAILABLE until it knows
// a leader).
func (c *Client) ClusterStatus(ctx context.Context, req *gantryv1.StatusRequest) (*gantryv1.StatusResponse, error) {
	return retryRead(ctx, c, "Status", func(ctx context.Context) (*gantryv1.StatusResponse, error) {
		return c.cluster.Status(ctx, req)
	})
}

// AddMember adds a master, retrying as writes do.
func (c *Client) AddMember(ctx context.Context, req *gantryv1.AddMemberRequest) (*gantryv1.AddMemberResponse, error) {
	return retryWrite(ctx, c, "AddMember", func(ctx context.Context, o grpc.CallOption) (*gantryv1.AddMemberResponse, error) {
		return c.cluster.AddMember(ctx, req, o)
	})
}

// RemoveMember removes a master, retrying as writes do.
func (c *Client) RemoveMember(ctx context.Context, req *gantryv1.RemoveMemberRequest) (*gantryv1.RemoveMemberResponse, error) {
	return retryWrite(ctx, c, "RemoveMember", func(ctx context.Context, o grpc.CallOption) (*gantryv1.RemoveMemberResponse, error) {
		return c.cluster.RemoveMember(ctx, req, o)
	})
}

// TransferLeadership hands leadership over, retrying as writes do.
func (c *Client) TransferLeadership(ctx context.Context, req *gantryv1.TransferLeadershipRequest) (*gantryv1.TransferLeadershipResponse, error) {
	return retryWrite(ctx, c, "TransferLeadership", func(ctx context.Context, o grpc.CallOption) (*gantryv1.TransferLeadershipResponse, error) {
		return c.cluster.TransferLeadership(ctx, req, o)
	})
}

// errSnapshotEmpty: a backup stream ended without a single chunk.
var errSnapshotEmpty = errors.New("client: the master sent an empty backup")

// Snapshot streams a backup, handing each chunk to fn in order. Until
// the first chunk arrives it retries as reads do; once fn has seen data
// a failure ends the backup (the caller starts over). Only ctx bounds
// the stream: RequestTimeout would cut a large backup short.
func (c *Client) Snapshot(ctx context.Context, fn func(*gantryv1.SnapshotResponse) error) error {
	for attempt := 0; ; attempt++ {
		started, err := c.snapshotOnce(ctx, fn)
		if err == nil || started || attempt >= c.cfg.MaxRetries || !readRetryable(ctx, err) {
			return err
		}
		c.log.Debug("retrying backup", zap.Int("attempt", attempt+1), zap.Error(err))
		if !sleep(ctx, c.cfg.RetryBackoff.Delay(attempt)) {
			return err
		}
	}
}

func (c *Client) snapshotOnce(ctx context.Context, fn func(*gantryv1.SnapshotResponse) error) (started bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.cluster.Snapshot(ctx, &gantryv1.SnapshotRequest{})
	if err != nil {
		return false, err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if !started {
				return false, errSnapshotEmpty
			}
			return true, nil
		}
		if err != nil {
			return started, err
		}
		started = true
		if err := fn(msg); err != nil {
			return true, err
		}
	}
}
