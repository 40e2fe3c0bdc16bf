package ctrl

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Batcher coalesces single writes from many goroutines into Batch calls
// (group commit): while one call is in flight the next requests gather,
// and go out together, up to MaxOps per call and Parallel calls at once.
type Batcher struct {
	client   Client
	maxOps   int
	parallel int
	reqs     chan batchReq
}

type batchReq struct {
	op   *gantryv1.BatchOp
	done chan Result
}

// NewBatcher returns a batcher; Run must be running for Do to return.
func NewBatcher(c Client, maxOps, parallel int) *Batcher {
	maxOps = min(max(maxOps, 1), MaxBatchOps)
	return &Batcher{client: c, maxOps: maxOps, parallel: max(parallel, 1), reqs: make(chan batchReq, maxOps)}
}

// Do applies op in some Batch call and returns its result, or ctx's error.
func (b *Batcher) Do(ctx context.Context, op *gantryv1.BatchOp) Result {
	r := batchReq{op: op, done: make(chan Result, 1)}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
	select {
	case res := <-r.done:
		return res
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
}

// Run sends batches until ctx ends.
func (b *Batcher) Run(ctx context.Context) {
	sem := make(chan struct{}, b.parallel)
	for {
		var first batchReq
		select {
		case <-ctx.Done():
			return
		case first = <-b.reqs:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			first.done <- Result{Err: ctx.Err()}
			return
		}
		batch := b.gather(first)
		go func() {
			defer func() { <-sem }()
			b.send(ctx, batch)
		}()
	}
}

// gather takes whatever else is waiting, up to maxOps in all.
func (b *Batcher) gather(first batchReq) []batchReq {
	batch := []batchReq{first}
	for len(batch) < b.maxOps {
		select {
		case r := <-b.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

func (b *Batcher) send(ctx context.Context, batch []batchReq) {
	ops := make([]*gantryv1.BatchOp, len(batch))
	for i, r := range batch {
		ops[i] = r.op
	}
	out := make([]Result, len(ops))
	runChunk(ctx, b.client, ops, out)
	for i, r := range batch {
		r.done <- out[i]
	}
}
