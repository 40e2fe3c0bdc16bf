package api

import (
	"context"
	"errors"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"go.uber.org/zap"
)

// EnsureBootstrap creates the namespaces every cluster has. The leader
// runs it after each election; creating an existing one changes nothing.
func (s *Service) EnsureBootstrap(ctx context.Context, self *storagev1.MemberInfo) {
	for ctx.Err() == nil {
		err := s.bootstrapOnce(ctx, self)
		if err == nil {
			return
		}
		s.log.Warn("bootstrap objects not written yet; retrying", zap.Error(err))
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (s *Service) bootstrapOnce(ctx context.Context, self *storagev1.MemberInfo) error {
	if cur, ok := s.st.Member(self.GetId()); !ok || cur.GetApiAddress() != self.GetApiAddress() || cur.GetRaftAddress() != self.GetRaftAddress() {
		if _, err := s.applyOne(ctx, &storagev1.Op{Type: storagev1.OpType_OP_TYPE_SET_MEMBER, Member: self}); err != nil {
			return err
		}
	}
	for name := range protectedNamespaces {
		if _, _, err := s.st.Get(apimeta.KindNamespace, "", name); err == nil {
			continue
		}
		ns := apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: name}})
		op, err := s.prepareCreate(ns)
		if err != nil {
			return err
		}
		if _, err := s.applyOne(ctx, op); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
	}
	return nil
}

// Register makes sure the cluster knows this master's API address, by
// asking the leader (through any master) to add it. It retries until it
// succeeds or ctx ends.
func (s *Service) Register(ctx context.Context, self *storagev1.MemberInfo) {
	for ctx.Err() == nil {
		err := s.registerOnce(ctx, self)
		if err == nil {
			return
		}
		s.log.Debug("registering this master", zap.Error(err))
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (s *Service) registerOnce(ctx context.Context, self *storagev1.MemberInfo) error {
	// A new master's store is empty until the leader's log reaches it, so
	// read what the cluster has recorded first: a master an operator added
	// (as a nonvoter, say) must be neither added again nor promoted.
	if err := s.consistent(ctx, gantryv1.Consistency_CONSISTENCY_LINEARIZABLE, ""); err != nil {
		return err
	}
	if cur, ok := s.st.Member(self.GetId()); ok && cur.GetApiAddress() == self.GetApiAddress() && cur.GetRaftAddress() == self.GetRaftAddress() {
		return nil
	}
	req := &gantryv1.AddMemberRequest{Id: self.GetId(), RaftAddress: self.GetRaftAddress(), ApiAddress: self.GetApiAddress()}
	servers, err := s.raft.Servers()
	if err != nil {
		return err
	}
	for _, sv := range servers {
		if sv.ID == self.GetId() && !sv.Voter {
			req.Nonvoter = true
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = s.AddMember(cctx, req)
	return err
}
