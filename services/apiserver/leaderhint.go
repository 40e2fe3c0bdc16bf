package apiserver

import (
	"context"

	"github.com/gantryio/gantry/internal/apistatus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// leaderHints tells the client of every write who answered it and who
// leads, so the client's balancer can send the next write to the leader
// and save the follower's forwarding hop (about a third of a write's
// latency at low load). The leader is read after the handler, so a write
// that crossed a failover names the new leader.
func leaderHints(self string, leader func() (id, addr string)) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if apistatus.LeaderWrite(info.FullMethod) {
			id, _ := leader()
			_ = grpc.SetTrailer(ctx, metadata.Pairs(apistatus.MemberTrailer, self, apistatus.LeaderTrailer, id))
		}
		return resp, err
	}
}
