package apiserver

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// joinVia asks the masters named by --join, in turn, to add this master,
// until one succeeds or ctx ends.
func (s *Server) joinVia(ctx context.Context) {
	req := &gantryv1.AddMemberRequest{Id: s.cfg.ID, RaftAddress: s.cfg.RaftListen, ApiAddress: s.cfg.Advertise}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		addr := s.cfg.Join[attempt%len(s.cfg.Join)]
		if err := addMember(ctx, addr, req); err != nil {
			s.log.Info("joining the cluster", zap.String("via", addr), zap.Error(err))
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		s.log.Info("joined the cluster", zap.String("via", addr))
		return
	}
}

func addMember(ctx context.Context, addr string, req *gantryv1.AddMemberRequest) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = gantryv1.NewClusterServiceClient(conn).AddMember(ctx, req)
	return err
}
