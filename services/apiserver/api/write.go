package api

import (
	"context"
	"errors"
	"fmt"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Create stores a new object.
func (s *Service) Create(ctx context.Context, req *gantryv1.CreateRequest) (*gantryv1.CreateResponse, error) {
	var out *gantryv1.Object
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.create(ctx, req.GetObject())
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := resources(c).Create(ctx, req)
		out = resp.GetObject()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.CreateResponse{Object: out}, nil
}

// create proposes a new object. A generated name that another create took
// in the meantime is generated again, as Kubernetes does.
func (s *Service) create(ctx context.Context, o *gantryv1.Object) (*gantryv1.Object, error) {
	generated := apimeta.Meta(o).GetName() == "" && apimeta.Meta(o).GetGenerateName() != ""
	for try := 0; ; try++ {
		in := o
		if generated {
			in = proto.Clone(o).(*gantryv1.Object)
		}
		op, err := s.prepareCreate(in)
		if err != nil {
			return nil, err
		}
		out, err := s.applyOne(ctx, op)
		if !generated || !errors.Is(err, store.ErrAlreadyExists) || try == generateNameTries {
			return out, err
		}
	}
}

// Update replaces an object's spec and metadata.
func (s *Service) Update(ctx context.Context, req *gantryv1.UpdateRequest) (*gantryv1.UpdateResponse, error) {
	var out *gantryv1.Object
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		op, err := s.prepareUpdate(req.GetObject())
		if err != nil {
			return err
		}
		out, err = s.applyOne(ctx, op)
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := resources(c).Update(ctx, req)
		out = resp.GetObject()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.UpdateResponse{Object: out}, nil
}

// UpdateStatus replaces an object's status.
func (s *Service) UpdateStatus(ctx context.Context, req *gantryv1.UpdateStatusRequest) (*gantryv1.UpdateStatusResponse, error) {
	var out *gantryv1.Object
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		op, err := s.prepareStatus(req.GetObject())
		if err != nil {
			return err
		}
		out, err = s.applyOne(ctx, op)
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := resources(c).UpdateStatus(ctx, req)
		out = resp.GetObject()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.UpdateStatusResponse{Object: out}, nil
}

// Delete removes an object, or marks it for deletion.
func (s *Service) Delete(ctx context.Context, req *gantryv1.DeleteRequest) (*gantryv1.DeleteResponse, error) {
	var out *gantryv1.Object
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		op, err := s.prepareDelete(req)
		if err != nil {
			return err
		}
		out, err = s.applyOne(ctx, op)
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := resources(c).Delete(ctx, req)
		out = resp.GetObject()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.DeleteResponse{Object: out}, nil
}

// applyOne proposes a single op and returns its stored object.
func (s *Service) applyOne(ctx context.Context, op *storagev1.Op) (*gantryv1.Object, error) {
	op.Now = s.now()
	res, err := s.raft.Apply(ctx, &storagev1.Command{Version: 1, Ops: []*storagev1.Op{op}})
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("apply returned %d results for one op", len(res))
	}
	return res[0].Object, res[0].Err
}

// current returns the stored object an update refers to.
func (s *Service) current(o *gantryv1.Object) (*apimeta.Info, *gantryv1.Object, error) {
	info, err := checkEnvelope(o)
	if err != nil {
		return nil, nil, err
	}
	m := apimeta.Meta(o)
	if m.GetName() == "" {
		return nil, nil, fmt.Errorf("%w: metadata.name: Required value", errInvalid)
	}
	if _, m.Namespace, err = kindAndNamespace(info.Name, m.GetNamespace(), true); err != nil {
		return nil, nil, err
	}
	old, _, err := s.st.Get(info.Name, m.GetNamespace(), m.GetName())
	if err != nil {
		return nil, nil, fmt.Errorf("%s %q: %w", info.Name, apimeta.Key(m.GetNamespace(), m.GetName()), err)
	}
	return info, old, nil
}

// checkEnvelope checks that o carries one object with metadata, within the
// size limit.
func checkEnvelope(o *gantryv1.Object) (*apimeta.Info, error) {
	info := apimeta.InfoOf(o)
	if info == nil {
		return nil, fmt.Errorf("%w: object: Required value: set one kind field such as \"pod\" or \"deployment\"", errInvalid)
	}
	if apimeta.Meta(o) == nil {
		return nil, fmt.Errorf("%w: metadata: Required value", errInvalid)
	}
	if n := protoSize(o); n > MaxObjectBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes; the limit is %d", errTooLarge, info.Name, n, MaxObjectBytes)
	}
	return info, nil
}

func (s *Service) now() *timestamppb.Timestamp { return timestamppb.New(s.cfg.Now()) }
