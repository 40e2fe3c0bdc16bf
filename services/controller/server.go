package controller

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

// service implements gantry.v1.ControllerService.
type service struct {
	gantryv1.UnimplementedControllerServiceServer
	m *Manager
}

// Status reports the replica and its controllers.
func (s *service) Status(context.Context, *gantryv1.ControllerServiceStatusRequest) (*gantryv1.ControllerServiceStatusResponse, error) {
	return s.m.Status(), nil
}

// listen binds the gRPC port and registers the services.
func (m *Manager) listen() error {
	lis, err := net.Listen("tcp", m.cfg.Listen)
	if err != nil {
		return fmt.Errorf("controller: listen on %s: %w", m.cfg.Listen, err)
	}
	m.lis = lis
	m.grpc = grpc.NewServer()
	gantryv1.RegisterControllerServiceServer(m.grpc, &service{m: m})
	m.health = health.NewServer()
	healthpb.RegisterHealthServer(m.grpc, m.health)
	reflection.Register(m.grpc)
	if m.cfg.HTTPListen != "" {
		m.http = &http.Server{Addr: m.cfg.HTTPListen, Handler: m.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
	}
	return nil
}

// httpHandler serves /healthz (the process serves) and /metrics.
func (m *Manager) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/metrics", promhttp.HandlerFor(m.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

// serve starts the gRPC and HTTP servers; their failures go to errc.
func (m *Manager) serve(errc chan<- error) error {
	if m.http != nil {
		hl, err := net.Listen("tcp", m.cfg.HTTPListen)
		if err != nil {
			_ = m.lis.Close()
			return fmt.Errorf("controller: listen on %s: %w", m.cfg.HTTPListen, err)
		}
		go func() {
			if err := m.http.Serve(hl); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("controller: http: %w", err)
			}
		}()
	}
	go func() {
		if err := m.grpc.Serve(m.lis); err != nil {
			errc <- fmt.Errorf("controller: grpc: %w", err)
		}
	}()
	for _, svc := range []string{"", gantryv1.ControllerService_ServiceDesc.ServiceName} {
		m.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	}
	m.log.Info("controller manager serving", zap.String("grpc", m.Addr()), zap.String("http", m.cfg.HTTPListen),
		zap.String("identity", m.cfg.Election.Identity), zap.Strings("controllers", m.cfg.Controllers))
	return nil
}

func (m *Manager) shutdown() {
	m.health.Shutdown()
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = m.http.Shutdown(ctx)
		cancel()
	}
	stopped := make(chan struct{})
	go func() { m.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Second):
		m.grpc.Stop()
	}
	m.log.Info("controller manager stopped")
}
