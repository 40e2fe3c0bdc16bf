package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/apiserver/api"
	"github.com/gantryio/gantry/services/apiserver/eventgc"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/gantryio/gantry/services/apiserver/watch"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
)

// maxMsgBytes bounds one gRPC message; objects are further capped at
// api.MaxObjectBytes.
const maxMsgBytes = 16 << 20

// Server is one master.
type Server struct {
	cfg    Config
	log    *zap.Logger
	st     *store.Store
	node   *raftnode.Node
	api    *api.Service
	grpc   *grpc.Server
	health *health.Server
	http   *http.Server
	lis    net.Listener
}

// New opens the master's state and binds its ports; Run serves.
func New(cfg Config, logger *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Advertise == "" {
		cfg.Advertise = cfg.Listen
	}
	s := &Server{cfg: cfg, log: logger.With(zap.String("member", cfg.ID)), st: store.New(cfg.Store)}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.lis = lis
	rc := cfg.Raft
	rc.ID, rc.DataDir, rc.RaftAddr, rc.InitialCluster = cfg.ID, cfg.DataDir, cfg.RaftListen, cfg.InitialCluster
	if s.node, err = raftnode.New(rc, s.st, s.log); err != nil {
		_ = lis.Close()
		return nil, err
	}
	ws := watch.New(cfg.Watch, s.st, s.node)
	s.api = api.New(cfg.API, s.node, s.st, ws, s.log)
	gc := eventgc.New(cfg.EventGC, s.st, s.api, s.log)
	s.node.OnLeader = func(ctx context.Context) {
		// Leader duties end with ctx, when leadership is lost.
		go gc.Run(ctx)
		s.api.EnsureBootstrap(ctx, s.self())
	}
	m := newMetrics(s.st, s.node, ws)
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gantry_events_expired_total",
		Help: "Events this master deleted as leader: past --event-ttl or beyond --max-events."},
		func() float64 { return float64(gc.Deleted()) }))
	s.grpc = grpc.NewServer(
		grpc.ForceServerCodecV2(watch.Codec()),
		grpc.MaxRecvMsgSize(maxMsgBytes), grpc.MaxSendMsgSize(maxMsgBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.ChainUnaryInterceptor(m.unary, leaderHints(cfg.ID, s.node.Leader), recoverUnary(s.log)),
		grpc.ChainStreamInterceptor(m.stream, recoverStream(s.log)),
	)
	gantryv1.RegisterResourceServiceServer(s.grpc, s.api)
	gantryv1.RegisterClusterServiceServer(s.grpc, s.api)
	gantryv1.RegisterPodServiceServer(s.grpc, s.api.Pods())
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	if cfg.HTTPListen != "" {
		s.http = &http.Server{Addr: cfg.HTTPListen, Handler: s.httpHandler(m), ReadHeaderTimeout: 5 * time.Second}
	}
	return s, nil
}

func (s *Server) self() *storagev1.MemberInfo {
	return &storagev1.MemberInfo{Id: s.cfg.ID, RaftAddress: s.cfg.RaftListen, ApiAddress: s.cfg.Advertise}
}

// Addr returns the gRPC listen address.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully: a leader hands
// leadership over before it stops.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 3)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { errc <- s.node.Run(rctx) }()
	go func() { errc <- s.grpc.Serve(s.lis) }()
	if s.http != nil {
		hl, err := net.Listen("tcp", s.cfg.HTTPListen)
		if err != nil {
			s.shutdown()
			return fmt.Errorf("listen on %s: %w", s.cfg.HTTPListen, err)
		}
		go func() {
			if err := s.http.Serve(hl); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	go s.watchHealth(rctx)
	go s.join(rctx)
	s.log.Info("apiserver serving", zap.String("grpc", s.Addr()), zap.String("raft", s.cfg.RaftListen), zap.String("http", s.cfg.HTTPListen))
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.shutdown()
	return err
}

// join registers this master: through the masters named by --join for a
// new member, through the cluster itself otherwise.
func (s *Server) join(ctx context.Context) {
	if len(s.cfg.Join) > 0 {
		s.joinVia(ctx)
	}
	s.api.Register(ctx, s.self())
}

// Crash stops the master abruptly: connections are cut and Raft stops
// without a leadership transfer, as when the process is killed.
func (s *Server) Crash() {
	s.grpc.Stop()
	s.node.Crash()
	if s.http != nil {
		_ = s.http.Close()
	}
	s.api.Close()
}

func (s *Server) shutdown() {
	s.health.Shutdown()
	if s.http != nil {
		hctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.http.Shutdown(hctx)
		cancel()
	}
	if err := s.node.Shutdown(); err != nil {
		s.log.Warn("raft shutdown", zap.Error(err))
	}
	stopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Second):
		s.grpc.Stop()
	}
	s.api.Close()
	s.log.Info("apiserver stopped")
}

// IsLeader reports whether this master is the ready leader.
func (s *Server) IsLeader() bool { return s.node.IsLeader() }

// Store returns the master's store, for tests and diagnostics.
func (s *Server) Store() *store.Store { return s.st }
