package controller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/leaderelect"
	"github.com/gantryio/gantry/internal/workqueue"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// Controller is what the manager runs.
type Controller interface {
	Name() string
	// Run waits for its caches, then reconciles until ctx ends.
	Run(ctx context.Context) error
	Status() *gantryv1.ControllerStatus
}

// Manager is one controller-manager replica.
type Manager struct {
	cfg    Config
	log    *zap.Logger
	api    API
	clock  workqueue.Clock
	events events.Factory

	informers   map[string]*informer.Informer
	controllers []Controller
	elector     *leaderelect.Elector
	metrics     *metrics

	grpc   *grpc.Server
	health *health.Server
	http   *http.Server
	lis    net.Listener

	leading atomic.Bool
}

// New builds a replica (controllers, informers, elector) and binds its
// gRPC port; Run starts it.
func New(cfg Config, deps Deps, logger *zap.Logger) (*Manager, error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	if deps.Client == nil {
		return nil, fmt.Errorf("%w: Deps.Client is required", ErrConfig)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	if deps.Clock == nil {
		deps.Clock = workqueue.RealClock{}
	}
	m := &Manager{cfg: cfg, log: logger.Named("controller"), api: deps.Client, clock: deps.Clock, events: deps.Events,
		informers: map[string]*informer.Informer{}}
	if err := m.build(); err != nil {
		return nil, err
	}
	el := cfg.Election
	if el.Now == nil {
		el.Now = m.clock.Now
	}
	var err error
	if m.elector, err = leaderelect.New(el, deps.Client, m.log); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	m.metrics = newMetrics(m)
	if err := m.listen(); err != nil {
		return nil, err
	}
	return m, nil
}

// Addr returns the gRPC listen address.
func (m *Manager) Addr() string { return m.lis.Addr().String() }

// Identity returns this replica's election identity.
func (m *Manager) Identity() string { return m.cfg.Election.Identity }

// Leading reports whether this replica holds the lease and reconciles.
func (m *Manager) Leading() bool { return m.leading.Load() }

// Run serves and campaigns until ctx ends (nil) or the lease is lost (an
// error wrapping leaderelect.ErrLost), or a server or informer fails.
func (m *Manager) Run(ctx context.Context) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(m.informers)+4)
	if err := m.serve(errc); err != nil {
		return err
	}
	defer m.shutdown()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for kind, inf := range m.informers {
		wg.Go(func() {
			if err := inf.Run(rctx); err != nil {
				errc <- fmt.Errorf("controller: %s informer: %w", kind, err)
			}
		})
	}
	wg.Go(func() {
		if err := m.campaign(rctx); err != nil {
			errc <- err
		}
	})
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		m.log.Error("controller manager stopping", zap.Error(err))
	}
	return err
}

// campaign waits for the caches, then runs the election; only the holder
// runs the controllers.
func (m *Manager) campaign(ctx context.Context) error {
	for _, inf := range m.informers {
		if err := inf.WaitForSync(ctx); err != nil {
			return nil // ctx ended, or the informer failed (Run reports it)
		}
	}
	m.log.Info("caches synced; campaigning", zap.String("identity", m.cfg.Election.Identity))
	err := m.elector.Run(ctx, m.lead)
	if errors.Is(err, leaderelect.ErrLost) {
		return fmt.Errorf("controller: %w", err)
	}
	return err
}

// lead runs every controller until ctx ends (the lease is lost or the
// process stops).
func (m *Manager) lead(ctx context.Context) {
	m.leading.Store(true)
	defer m.leading.Store(false)
	m.log.Info("leading: running controllers", zap.Strings("controllers", m.cfg.Controllers))
	var wg sync.WaitGroup
	for _, c := range m.controllers {
		wg.Go(func() {
			if err := c.Run(ctx); err != nil {
				m.log.Error("controller stopped", zap.String("controller", c.Name()), zap.Error(err))
			}
		})
	}
	wg.Wait()
}

// Status reports this replica and its controllers, sorted by name.
func (m *Manager) Status() *gantryv1.ControllerServiceStatusResponse {
	resp := &gantryv1.ControllerServiceStatusResponse{Identity: m.cfg.Election.Identity, Leading: m.Leading()}
	for _, c := range m.controllers {
		resp.Controllers = append(resp.Controllers, c.Status())
	}
	sort.Slice(resp.Controllers, func(i, j int) bool { return resp.Controllers[i].GetName() < resp.Controllers[j].GetName() })
	return resp
}
