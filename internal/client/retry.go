package client

import (
	"context"
	"time"

	"github.com/gantryio/gantry/internal/apistatus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

func noop() {}

// attemptCtx bounds one attempt by RequestTimeout unless the caller's
// deadline comes first.
func (c *Client) attemptCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	t := c.cfg.RequestTimeout
	if t <= 0 {
		return ctx, noop
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= t {
		return ctx, noop
	}
	return context.WithTimeout(ctx, t)
}

// readRetryable reports whether a failed read may be sent again: the
// masters said UNAVAILABLE, or our own per-attempt timeout fired while the
// caller still waits.
func readRetryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	return apistatus.ReadRetryable(err) || status.Code(err) == codes.DeadlineExceeded
}

// writeRetryable reports whether a failed write may be sent again without
// risk of applying it twice: the server said NOT_APPLIED, or the call never
// got a transport stream (p stays empty when no stream was opened: no
// master can have seen it).
func writeRetryable(ctx context.Context, err error, p *peer.Peer) bool {
	if ctx.Err() != nil {
		return false
	}
	if apistatus.WriteRetryable(err) {
		return true
	}
	if p.Addr != nil {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// sleep waits d or until ctx is done, reporting whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryRead calls call until it succeeds, fails for good, runs out of
// retries or ctx ends; it returns the last error of call.
func retryRead[T any](ctx context.Context, c *Client, op string, call func(context.Context) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		actx, cancel := c.attemptCtx(ctx)
		v, err := call(actx)
		cancel()
		if err == nil || attempt >= c.cfg.MaxRetries || !readRetryable(ctx, err) {
			return v, err
		}
		c.log.Debug("retrying read", zap.String("op", op), zap.Int("attempt", attempt+1), zap.Error(err))
		if !sleep(ctx, c.cfg.RetryBackoff.Delay(attempt)) {
			return v, err
		}
	}
}

// retryWrite is retryRead for writes: it retries only what provably did
// not apply.
func retryWrite[T any](ctx context.Context, c *Client, op string, call func(context.Context, grpc.CallOption) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		var p peer.Peer
		actx, cancel := c.attemptCtx(ctx)
		v, err := call(actx, grpc.Peer(&p))
		cancel()
		if err == nil || attempt >= c.cfg.MaxRetries || !writeRetryable(ctx, err, &p) {
			return v, err
		}
		c.log.Debug("retrying write", zap.String("op", op), zap.Int("attempt", attempt+1), zap.Error(err))
		if !sleep(ctx, c.cfg.RetryBackoff.Delay(attempt)) {
			return v, err
		}
	}
}
