package scheduler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// listen binds the gRPC port and registers the services.
func (s *Scheduler) listen() error {
	lis, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("scheduler: listen on %s: %w", s.cfg.Listen, err)
	}
	s.lis = lis
	s.grpc = grpc.NewServer()
	gantryv1.RegisterSchedulerServiceServer(s.grpc, &service{s: s})
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	if s.cfg.HTTPListen != "" {
		s.http = &http.Server{Addr: s.cfg.HTTPListen, Handler: s.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
	}
	return nil
}

// httpHandler serves /healthz (the process serves) and /metrics.
func (s *Scheduler) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

// serve starts the gRPC and HTTP servers; their failures go to errc.
func (s *Scheduler) serve(errc chan<- error) error {
	if s.http != nil {
		hl, err := net.Listen("tcp", s.cfg.HTTPListen)
		if err != nil {
			_ = s.lis.Close()
			return fmt.Errorf("scheduler: listen on %s: %w", s.cfg.HTTPListen, err)
		}
		go func() {
			if err := s.http.Serve(hl); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("scheduler: http: %w", err)
			}
		}()
	}
	go func() {
		if err := s.grpc.Serve(s.lis); err != nil {
			errc <- fmt.Errorf("scheduler: grpc: %w", err)
		}
	}()
	for _, svc := range []string{"", gantryv1.SchedulerService_ServiceDesc.ServiceName} {
		s.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	}
	s.log.Info("scheduler serving", zap.String("grpc", s.Addr()), zap.String("http", s.cfg.HTTPListen),
		zap.String("identity", s.cfg.Election.Identity), zap.String("scheduler_name", s.cfg.SchedulerName))
	return nil
}

func (s *Scheduler) shutdown() {
	s.health.Shutdown()
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.http.Shutdown(ctx)
		cancel()
	}
	stopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Second):
		s.grpc.Stop()
	}
	s.log.Info("scheduler stopped")
}
