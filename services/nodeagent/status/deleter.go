package status

import (
	"context"
	"fmt"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc/codes"
)

// Deleter removes stopped pods from the API with Delete(grace 0, uid
// precondition), many per Batch call: a node agent deleting pods one call
// each would cost one Raft entry per pod. Callers block until their pod's
// delete is decided.
type Deleter struct {
	w        Writer
	interval time.Duration
	maxBatch int

	mu      sync.Mutex
	pending []*deleteReq
	wake    chan struct{}
}

type deleteReq struct {
	op   *gantryv1.DeleteRequest
	done chan error
}

// NewDeleter returns a deleter writing through w; run it with Run.
func NewDeleter(w Writer, interval time.Duration, maxBatch int) *Deleter {
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	if maxBatch <= 0 {
		maxBatch = 500
	}
	return &Deleter{w: w, interval: interval, maxBatch: maxBatch, wake: make(chan struct{}, 1)}
}

// DeletePod deletes the pod for good. A pod already gone, or replaced by
// one with another uid, is not an error.
func (d *Deleter) DeletePod(ctx context.Context, namespace, name, uid string) error {
	zero := int64(0)
	r := &deleteReq{op: &gantryv1.DeleteRequest{Kind: "Pod", Namespace: namespace, Name: name,
		Preconditions: &gantryv1.Preconditions{Uid: uid}, GracePeriodSeconds: &zero}, done: make(chan error, 1)}
	d.mu.Lock()
	d.pending = append(d.pending, r)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run sends deletes until ctx ends.
func (d *Deleter) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			d.failAll(ctx.Err())
			return nil
		case <-d.wake:
		}
		for {
			batch := d.take()
			if len(batch) == 0 {
				break
			}
			d.send(ctx, batch)
		}
		t := time.NewTimer(d.interval)
		select {
		case <-ctx.Done():
			t.Stop()
			d.failAll(ctx.Err())
			return nil
		case <-t.C:
		}
	}
}

func (d *Deleter) take() []*deleteReq {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := min(len(d.pending), d.maxBatch)
	out := d.pending[:n:n]
	d.pending = d.pending[n:]
	return out
}

func (d *Deleter) failAll(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.pending {
		r.done <- err
	}
	d.pending = nil
}

func (d *Deleter) send(ctx context.Context, batch []*deleteReq) {
	req := &gantryv1.BatchRequest{}
	for _, r := range batch {
		req.Ops = append(req.Ops, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Delete{Delete: r.op}})
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	resp, err := d.w.Batch(cctx, req)
	cancel()
	if err == nil && len(resp.GetResults()) != len(batch) {
		err = fmt.Errorf("batch answered %d results for %d deletes", len(resp.GetResults()), len(batch))
	}
	for i, r := range batch {
		if err != nil {
			r.done <- err
			continue
		}
		switch res := resp.GetResults()[i]; codes.Code(res.GetCode()) {
		case codes.OK, codes.NotFound, codes.FailedPrecondition:
			r.done <- nil
		default:
			r.done <- fmt.Errorf("delete pod %s/%s: %s: %s", r.op.GetNamespace(), r.op.GetName(), codes.Code(res.GetCode()), res.GetMessage())
		}
	}
}
