package proxy

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
func (p *Proxy) listen() error {
	lis, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("proxy: listen on %s: %w", p.cfg.Listen, err)
	}
	p.lis = lis
	p.grpc = grpc.NewServer()
	gantryv1.RegisterProxyServiceServer(p.grpc, &service{p: p})
	p.health = health.NewServer()
	healthpb.RegisterHealthServer(p.grpc, p.health)
	reflection.Register(p.grpc)
	for _, svc := range []string{"", gantryv1.ProxyService_ServiceDesc.ServiceName} {
		p.health.SetServingStatus(svc, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	if p.cfg.HTTPListen != "" {
		p.http = &http.Server{Addr: p.cfg.HTTPListen, Handler: p.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
	}
	return nil
}

// setServing reports the proxy healthy once it carries its first table.
func (p *Proxy) setServing() {
	for _, svc := range []string{"", gantryv1.ProxyService_ServiceDesc.ServiceName} {
		p.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	}
}

// httpHandler serves /healthz (200 once the first table is applied) and
// /metrics.
func (p *Proxy) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !p.synced.Load() {
			http.Error(w, "not synced yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(p.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

// serve starts the gRPC and HTTP servers; their failures go to errc.
func (p *Proxy) serve(errc chan<- error) error {
	if p.http != nil {
		hl, err := net.Listen("tcp", p.cfg.HTTPListen)
		if err != nil {
			_ = p.lis.Close()
			return fmt.Errorf("proxy: listen on %s: %w", p.cfg.HTTPListen, err)
		}
		go func() {
			if err := p.http.Serve(hl); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("proxy: http: %w", err)
			}
		}()
	}
	go func() {
		if err := p.grpc.Serve(p.lis); err != nil {
			errc <- fmt.Errorf("proxy: grpc: %w", err)
		}
	}()
	p.log.Info("proxy serving", zap.String("grpc", p.Addr()), zap.String("http", p.cfg.HTTPListen),
		zap.String("node", p.cfg.NodeName), zap.String("mode", p.mode))
	return nil
}

func (p *Proxy) shutdown() {
	p.health.Shutdown()
	if p.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = p.http.Shutdown(ctx)
		cancel()
	}
	stopped := make(chan struct{})
	go func() { p.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Second):
		p.grpc.Stop()
	}
	p.log.Info("proxy stopped")
}
