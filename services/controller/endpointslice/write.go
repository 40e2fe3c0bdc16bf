package endpointslice

import (
	"context"
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// write applies a plan in as few Batch calls as the bounds allow: creates
// first, then updates, then deletes, so that an endpoint moving between
// slices is briefly in two rather than in none.
func (c *Controller) write(ctx context.Context, key string, p plan) error {
	if p.empty() {
		return nil
	}
	ops := make([]*gantryv1.BatchOp, 0, len(p.create)+len(p.update)+len(p.delete))
	for _, s := range p.create {
		ops = append(ops, ctrl.CreateOp(apimeta.Wrap(s)))
	}
	for _, s := range p.update {
		ops = append(ops, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Update{Update: apimeta.Wrap(s)}})
	}
	for _, s := range p.delete {
		m := s.GetMetadata()
		ops = append(ops, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Delete{Delete: &gantryv1.DeleteRequest{
			Kind: apimeta.KindEndpointSlice, Namespace: m.GetNamespace(), Name: m.GetName(),
			Preconditions: &gantryv1.Preconditions{Uid: m.GetUid(), ResourceVersion: m.GetResourceVersion()},
		}}})
	}
	results := c.batch(ctx, ops)
	var errs []error
	for i, r := range results {
		if err := c.record(key, p, i, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// record tracks one op's outcome and returns its error, if it failed.
func (c *Controller) record(key string, p plan, i int, r ctrl.Result) error {
	switch nc, nu := len(p.create), len(p.update); {
	case i < nc:
		if r.Err != nil {
			return fmt.Errorf("create EndpointSlice for %s: %w", key, r.Err)
		}
		c.stats.creates.Add(1)
		c.tracker.wrote(key, r.Object.GetEndpointSlice())
	case i < nc+nu:
		s := p.update[i-nc]
		if ctrl.IsNotFound(r.Err) {
			// Deleted by someone else: the cache has not seen it yet.
			return status.Errorf(codes.Aborted, "update EndpointSlice %s for %s: %v", s.GetMetadata().GetName(), key, r.Err)
		}
		if r.Err != nil {
			return fmt.Errorf("update EndpointSlice %s for %s: %w", s.GetMetadata().GetName(), key, r.Err)
		}
		c.stats.updates.Add(1)
		c.tracker.wrote(key, r.Object.GetEndpointSlice())
	default:
		s := p.delete[i-nc-nu]
		if r.Err != nil && !ctrl.IsNotFound(r.Err) {
			return fmt.Errorf("delete EndpointSlice %s for %s: %w", s.GetMetadata().GetName(), key, r.Err)
		}
		c.stats.deletes.Add(1)
		c.tracker.deleted(key, s.GetMetadata().GetName())
	}
	return nil
}

// batch sends ops in order, in calls of at most BatchOps ops and
// BatchBytes bytes (a Raft command has a size limit), and stops at the
// first call that fails: the later ops get its error.
func (c *Controller) batch(ctx context.Context, ops []*gantryv1.BatchOp) []ctrl.Result {
	out := make([]ctrl.Result, 0, len(ops))
	for start := 0; start < len(ops); {
		end, size := start, 0
		for end < len(ops) && end-start < c.cfg.BatchOps {
			n := proto.Size(ops[end])
			if end > start && size+n > c.cfg.BatchBytes {
				break
			}
			size += n
			end++
		}
		resp, err := c.client.Batch(ctx, &gantryv1.BatchRequest{Ops: ops[start:end]})
		if err == nil && len(resp.GetResults()) != end-start {
			err = status.Errorf(codes.Internal, "batch: %d results for %d ops", len(resp.GetResults()), end-start)
		}
		if err != nil {
			for range ops[start:] {
				out = append(out, ctrl.Result{Err: err})
			}
			return out
		}
		for _, r := range resp.GetResults() {
			res := ctrl.Result{Object: r.GetObject()}
			if code := codes.Code(r.GetCode()); code != codes.OK {
				res = ctrl.Result{Err: status.Error(code, r.GetMessage())}
			}
			out = append(out, res)
		}
		start = end
	}
	return out
}
