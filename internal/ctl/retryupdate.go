package ctl

import (
	"context"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
)

// maxConflictRetries bounds read-modify-write attempts against an object
// that keeps changing under us (a node agent writing node status, a
// controller writing a Deployment's annotations).
const maxConflictRetries = 10

// mutateFunc changes obj, a fresh read, in place and says whether it
// changed anything; an error ends the update without writing.
type mutateFunc func(ctx context.Context, obj *gantryv1.Object) (changed bool, err error)

// updateWithRetry reads kind namespace/name, lets mutate change it and
// Updates it with the resource_version it read, so a concurrent write is
// never overwritten: on ABORTED it reads again and mutate decides again
// (kubectl's RetryOnConflict), up to attempts times in all. It returns the
// object as stored (as read when mutate changed nothing) and whether it
// was written.
func (e *env) updateWithRetry(ctx context.Context, kind, namespace, name string, attempts int, mutate mutateFunc) (*gantryv1.Object, bool, error) {
	cl, err := e.client()
	if err != nil {
		return nil, false, err
	}
	for attempt := 0; ; attempt++ {
		rctx, cancel := e.requestCtx(ctx)
		obj, err := cl.Get(rctx, kind, namespace, name)
		cancel()
		if err != nil {
			return nil, false, err
		}
		changed, err := mutate(ctx, obj)
		if err != nil || !changed {
			return obj, false, err
		}
		rctx, cancel = e.requestCtx(ctx)
		updated, err := cl.Update(rctx, obj)
		cancel()
		if err == nil {
			return updated, true, nil
		}
		if !statusIs(err, codes.Aborted) || attempt+1 >= attempts {
			return nil, false, err
		}
		if !sleepCtx(ctx, time.Duration(attempt+1)*10*time.Millisecond) {
			return nil, false, fmt.Errorf("%s changed during the update: %w", apimeta.Meta(obj).GetName(), ctx.Err())
		}
	}
}

// statusIs reports whether err carries a gRPC status with code c.
func statusIs(err error, c codes.Code) bool {
	st, ok := grpcStatus(err)
	return ok && st.Code() == c
}

// sleepCtx waits d, or less when ctx ends; it says whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
