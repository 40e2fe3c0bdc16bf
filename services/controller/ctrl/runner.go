package ctrl

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/workqueue"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ReconcileFunc brings the world in line with one key's desired state. It
// must be idempotent and read only caches.
type ReconcileFunc func(ctx context.Context, key string) error

// Runner feeds keys from a queue to workers running a ReconcileFunc: a
// failed key is retried with the queue's per-key backoff, a successful one
// forgotten.
type Runner struct {
	name      string
	queue     *workqueue.Queue[string]
	reconcile ReconcileFunc
	log       *zap.Logger

	reconciles, errors, conflicts atomic.Int64
}

// NewRunner returns a runner; Run starts its workers.
func NewRunner(name string, q *workqueue.Queue[string], fn ReconcileFunc, log *zap.Logger) *Runner {
	return &Runner{name: name, queue: q, reconcile: fn, log: log}
}

// NewQueue returns a string queue with cfg (for controllers).
func NewQueue(name string, cfg workqueue.Config) (*workqueue.Queue[string], error) {
	cfg.Name = name
	return workqueue.New[string](cfg)
}

// Run starts workers and blocks until ctx ends; then it shuts the queue
// down and waits for the workers to finish their current keys.
func (r *Runner) Run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	r.queue.ShutDown()
	wg.Wait()
}

func (r *Runner) processNext(ctx context.Context) bool {
	key, ok := r.queue.Get()
	if !ok {
		return false
	}
	defer r.queue.Done(key)
	err := r.safeReconcile(ctx, key)
	r.reconciles.Add(1)
	switch {
	case err == nil:
		r.queue.Forget(key)
	case ctx.Err() != nil:
	case IsConflict(err):
		// A stale cache: the watch catches up soon.
		r.conflicts.Add(1)
		r.log.Debug("conflict, retrying", zap.String("key", key), zap.Error(err))
		r.queue.AddRateLimited(key)
	default:
		r.errors.Add(1)
		r.log.Warn("reconcile failed", zap.String("key", key), zap.Int("retries", r.queue.NumRequeues(key)), zap.Error(err))
		r.queue.AddRateLimited(key)
	}
	return true
}

// safeReconcile turns a panic into an error, so one bad object does not
// take the controller manager down.
func (r *Runner) safeReconcile(ctx context.Context, key string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("reconcile panicked", zap.String("key", key), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			err = fmt.Errorf("%s: panic: %v", r.name, p)
		}
	}()
	return r.reconcile(ctx, key)
}

// Queue returns the runner's queue.
func (r *Runner) Queue() *workqueue.Queue[string] { return r.queue }

// Status reports the queue depth and counters.
func (r *Runner) Status() *gantryv1.ControllerStatus {
	return &gantryv1.ControllerStatus{
		Name: r.name, QueueDepth: int32(r.queue.Len()),
		ReconcilesTotal: r.reconciles.Load(), ErrorsTotal: r.errors.Load(),
	}
}

// Conflicts returns how many reconciles ended in a stale-cache conflict.
func (r *Runner) Conflicts() int64 { return r.conflicts.Load() }

// IsConflict reports errors that mean "the cache was stale": ABORTED
// (resource_version mismatch), FAILED_PRECONDITION (uid mismatch) and
// ALREADY_EXISTS.
func IsConflict(err error) bool {
	switch status.Code(err) {
	case codes.Aborted, codes.FailedPrecondition, codes.AlreadyExists:
		return true
	}
	return false
}

// IsNotFound reports a NOT_FOUND error.
func IsNotFound(err error) bool { return status.Code(err) == codes.NotFound }
