package api

import (
	"context"
	"fmt"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// maxBatchOps bounds one Bind or Batch request; the command's byte size is
// bounded by Raft's command limit as well.
const maxBatchOps = 1000

// Bind binds pods to nodes in one Raft entry.
func (s *Service) Bind(ctx context.Context, req *gantryv1.BindRequest) (*gantryv1.BindResponse, error) {
	if n := len(req.GetBindings()); n == 0 || n > maxBatchOps {
		return nil, toStatus(fmt.Errorf("%w: bindings: must hold 1 to %d bindings, got %d", errInvalid, maxBatchOps, n))
	}
	var results []*gantryv1.BatchResult
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		ops := make([]*storagev1.Op, len(req.GetBindings()))
		errs := make([]error, len(ops))
		for i, b := range req.GetBindings() {
			ops[i], errs[i] = prepareBind(b)
		}
		var err error
		results, err = s.applyBatch(ctx, ops, errs)
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := resources(c).Bind(ctx, req)
		results = resp.GetResults()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.BindResponse{Results: results}, nil
}

func prepareBind(b *gantryv1.Binding) (*storagev1.Op, error) {
	_, ns, err := kindAndNamespace("Pod", b.GetNamespace(), true)
	if err != nil {
		return nil, err
	}
	if b.GetName() == "" || b.GetNodeName() == "" {
		return nil, fmt.Errorf("%w: name and nodeName: Required value", errInvalid)
	}
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_BIND, Namespace: ns, Name: b.GetName(), ExpectUid: b.GetUid(), NodeName: b.GetNodeName()}, nil
}

// Batch applies independent writes in one Raft entry.
func (s *Service) Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	if n := len(req.GetOps()); n == 0 || n > maxBatchOps {
		return nil, toStatus(fmt.Errorf("%w: ops: must hold 1 to %d ops, got %d", errInvalid, maxBatchOps, n))
	}
	var results []*gantryv1.BatchResult
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		ops := make([]*storagev1.Op, len(req.GetOps()))
		errs := make([]error, len(ops))
		for i, op := range req.GetOps() {
			ops[i], errs[i] = s.prepareBatchOp(op)
		}
		var err error
		results, err = s.applyBatch(ctx, ops, errs)
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := resources(c).Batch(ctx, req)
		results = resp.GetResults()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.BatchResponse{Results: results}, nil
}

func (s *Service) prepareBatchOp(op *gantryv1.BatchOp) (*storagev1.Op, error) {
	switch o := op.GetOp().(type) {
	case *gantryv1.BatchOp_Create:
		return s.prepareCreate(o.Create)
	case *gantryv1.BatchOp_Update:
		return s.prepareUpdate(o.Update)
	case *gantryv1.BatchOp_UpdateStatus:
		return s.prepareStatus(o.UpdateStatus)
	case *gantryv1.BatchOp_Delete:
		return s.prepareDelete(o.Delete)
	}
	return nil, fmt.Errorf("%w: op: Required value: set create, update, updateStatus or delete", errInvalid)
}

// applyBatch proposes the ops that passed preparation in one command and
// merges their results with the preparation errors, in request order.
func (s *Service) applyBatch(ctx context.Context, ops []*storagev1.Op, prepErrs []error) ([]*gantryv1.BatchResult, error) {
	now := s.now()
	var valid []*storagev1.Op
	for i, op := range ops {
		if prepErrs[i] == nil {
			op.Now = now
			valid = append(valid, op)
		}
	}
	var applied []store.Result
	if len(valid) > 0 {
		var err error
		if applied, err = s.raft.Apply(ctx, &storagev1.Command{Version: 1, Ops: valid}); err != nil {
			return nil, err
		}
	}
	out := make([]*gantryv1.BatchResult, len(ops))
	for i := range ops {
		var r store.Result
		if prepErrs[i] != nil {
			r.Err = prepErrs[i]
		} else {
			r, applied = applied[0], applied[1:]
		}
		st, _ := status.FromError(toStatus(r.Err))
		out[i] = &gantryv1.BatchResult{Code: int32(st.Code()), Message: st.Message(), Object: r.Object}
	}
	return out, nil
}
