package ctrl

import (
	"context"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// MaxBatchOps is the most ops the apiserver takes in one Batch.
const MaxBatchOps = 1000

// Result is the outcome of one op of a batch.
type Result struct {
	Object *gantryv1.Object
	Err    error
}

// RunBatch applies ops in chunks of at most chunk ops, up to parallel
// chunks at a time, and returns one result per op, in order. A chunk
// whose call fails gives every op of it that call's error.
func RunBatch(ctx context.Context, c Client, ops []*gantryv1.BatchOp, chunk, parallel int) []Result {
	chunk = min(max(chunk, 1), MaxBatchOps)
	parallel = max(parallel, 1)
	out := make([]Result, len(ops))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for start := 0; start < len(ops); start += chunk {
		end := min(start+chunk, len(ops))
		sem <- struct{}{}
		wg.Add(1)
		go func(start, end int) {
			defer func() { <-sem; wg.Done() }()
			runChunk(ctx, c, ops[start:end], out[start:end])
		}(start, end)
	}
	wg.Wait()
	return out
}

func runChunk(ctx context.Context, c Client, ops []*gantryv1.BatchOp, out []Result) {
	resp, err := c.Batch(ctx, &gantryv1.BatchRequest{Ops: ops})
	if err == nil && len(resp.GetResults()) != len(ops) {
		err = status.Errorf(codes.Internal, "batch: %d results for %d ops", len(resp.GetResults()), len(ops))
	}
	for i := range out {
		if err != nil {
			out[i] = Result{Err: err}
			continue
		}
		r := resp.GetResults()[i]
		out[i] = Result{Object: r.GetObject()}
		if codes.Code(r.GetCode()) != codes.OK {
			out[i] = Result{Err: status.Error(codes.Code(r.GetCode()), r.GetMessage())}
		}
	}
}

// CreateOp, DeleteOp and UpdateOp build batch ops.
func CreateOp(o *gantryv1.Object) *gantryv1.BatchOp {
	return &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Create{Create: o}}
}

// DeleteOp deletes kind namespace/name if its uid is still uid.
func DeleteOp(kind, namespace, name, uid string) *gantryv1.BatchOp {
	return &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Delete{Delete: DeleteRequest(kind, namespace, name, uid, "")}}
}

// DeleteRequest builds a delete with a uid precondition (when uid is set)
// and a propagation policy ("" is Background).
func DeleteRequest(kind, namespace, name, uid, policy string) *gantryv1.DeleteRequest {
	req := &gantryv1.DeleteRequest{Kind: kind, Namespace: namespace, Name: name, PropagationPolicy: policy}
	if uid != "" {
		req.Preconditions = &gantryv1.Preconditions{Uid: uid}
	}
	return req
}
