package apiserver

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// maxServingLag is how many entries a master may be behind its commit
// index and still report SERVING.
const maxServingLag = 1000

// serving reports whether this master can answer promptly: it knows a
// leader and has applied nearly everything committed. A master that just
// restarted does not, until the leader's replication reaches it; clients
// that check health send their calls to the other masters meanwhile.
func (s *Server) serving() bool {
	if id, _ := s.node.Leader(); id == "" {
		return false
	}
	commit, applied := s.node.CommitIndex(), s.node.AppliedIndex()
	return applied+maxServingLag >= commit
}

// watchHealth keeps the gRPC health status in step with serving().
func (s *Server) watchHealth(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last := healthpb.HealthCheckResponse_UNKNOWN
	for {
		st := healthpb.HealthCheckResponse_NOT_SERVING
		if s.serving() {
			st = healthpb.HealthCheckResponse_SERVING
		}
		if st != last {
			for _, svc := range []string{"", gantryv1.ResourceService_ServiceDesc.ServiceName, gantryv1.ClusterService_ServiceDesc.ServiceName} {
				s.health.SetServingStatus(svc, st)
			}
			last = st
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
