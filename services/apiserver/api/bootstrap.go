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
	req := &gantryv1.AddMemberRequest{Id: self.GetId(), RaftAddress: self.GetRaftAddress(), ApiAddress: self.GetApiAddress()}
	for ctx.Err() == nil {
		if cur, ok := s.st.Member(self.GetId()); ok && cur.GetApiAddress() == self.GetApiAddress() && cur.GetRaftAddress() == self.GetRaftAddress() {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := s.AddMember(cctx, req)
		cancel()
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
