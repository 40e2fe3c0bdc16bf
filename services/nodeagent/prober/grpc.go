package prober

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// checkGRPC asks the pod's gRPC health service (grpc.health.v1) about the
// probe's service; SERVING succeeds. Plaintext, as the kubelet's.
func checkGRPC(ctx context.Context, g *gantryv1.GRPCAction, ip string, timeout time.Duration) (result, string, error) {
	if g.GetPort() < 1 || g.GetPort() > 65535 {
		return unknown, "", fmt.Errorf("%w: port %d out of range", errConfig, g.GetPort())
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(int(g.GetPort())))
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxBody)))
	if err != nil {
		return unknown, "", fmt.Errorf("%w: %v", errConfig, err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: g.GetService()})
	switch {
	case status.Code(err) == codes.DeadlineExceeded || ctx.Err() != nil:
		return failure, fmt.Sprintf("timeout: health rpc did not complete within %s", timeout), nil
	case status.Code(err) == codes.Unimplemented:
		return failure, fmt.Sprintf("this server does not implement the grpc health protocol (grpc.health.v1.Health): %s", status.Convert(err).Message()), nil
	case err != nil:
		return failure, fmt.Sprintf("rpc error: %s", status.Convert(err).Message()), nil
	case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
		return failure, fmt.Sprintf("service unhealthy (responded with %q)", resp.GetStatus()), nil
	}
	return success, "", nil
}
