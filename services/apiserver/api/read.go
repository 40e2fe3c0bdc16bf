package api

import (
	"context"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc"
)

// readWait bounds how long a read waits to become linearizable or to
// reach a requested resource_version.
const readWait = 5 * time.Second

// maxReadWaiters bounds the reads sharing one ReadIndex call.
const maxReadWaiters = 4096

// consistent makes this master's store fresh enough to serve a read: at
// least minRV, and, unless stale reads were asked for, everything the
// leader had committed when the read arrived.
func (s *Service) consistent(ctx context.Context, c gantryv1.Consistency, minRV string) error {
	ctx, cancel := context.WithTimeout(ctx, readWait)
	defer cancel()
	if minRV != "" {
		rv, err := apimeta.ParseResourceVersion(minRV)
		if err != nil {
			return fmt.Errorf("%w: min_resource_version %q: must be a decimal number", errInvalid, minRV)
		}
		if err := s.raft.WaitApplied(ctx, rv); err != nil {
			return err
		}
	}
	if c == gantryv1.Consistency_CONSISTENCY_STALE {
		return nil
	}
	idx, err := s.readIndex(ctx)
	if err != nil {
		return err
	}
	return s.raft.WaitApplied(ctx, idx)
}

// readIndex returns a safe read index: the leader's own (raftnode batches
// those), or one from a ReadIndex call to the leader shared with the
// other reads waiting on this master.
func (s *Service) readIndex(ctx context.Context) (uint64, error) {
	if s.raft.IsLeader() {
		return s.raft.ReadIndex(ctx)
	}
	return s.reads.Do(ctx)
}

// fetchReadIndex asks the leader (itself, or over gRPC) for a safe read
// index.
func (s *Service) fetchReadIndex(ctx context.Context) (uint64, error) {
	var idx uint64
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		var err error
		idx, err = s.raft.ReadIndex(ctx)
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := cluster(c).ReadIndex(ctx, &gantryv1.ReadIndexRequest{})
		idx = resp.GetIndex()
		return err
	})
	return idx, err
}

// Get returns one object.
func (s *Service) Get(ctx context.Context, req *gantryv1.GetRequest) (*gantryv1.GetResponse, error) {
	info, ns, err := kindAndNamespace(req.GetKind(), req.GetNamespace(), true)
	if err != nil {
		return nil, toStatus(err)
	}
	if req.GetName() == "" {
		return nil, toStatus(fmt.Errorf("%w: name: Required value", errInvalid))
	}
	if err := s.consistent(ctx, req.GetConsistency(), req.GetMinResourceVersion()); err != nil {
		return nil, toStatus(err)
	}
	o, _, err := s.st.Get(info.Name, ns, req.GetName())
	if err != nil {
		return nil, toStatus(fmt.Errorf("%s %q: %w", info.Name, apimeta.Key(ns, req.GetName()), err))
	}
	return &gantryv1.GetResponse{Object: o}, nil
}

// kindAndNamespace checks the kind and fits the namespace to it: cluster
// scoped kinds take none; namespaced ones default to "default" when
// defaulting is asked for (single-object calls), else "" means all.
func kindAndNamespace(kind, ns string, defaultNS bool) (*apimeta.Info, string, error) {
	info, ok := apimeta.Lookup(kind)
	if !ok {
		return nil, "", fmt.Errorf("%w: kind: Unsupported value: %q: supported kinds are %v", errInvalid, kind, apimeta.Kinds())
	}
	if !info.Namespaced {
		if ns != "" {
			return nil, "", fmt.Errorf("%w: namespace: Invalid value: %q: %s is cluster-scoped and takes no namespace", errInvalid, ns, kind)
		}
		return info, "", nil
	}
	if ns == "" && defaultNS {
		ns = "default"
	}
	return info, ns, nil
}
