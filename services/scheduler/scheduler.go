package scheduler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/leaderelect"
	"github.com/gantryio/gantry/services/scheduler/cache"
	"github.com/gantryio/gantry/services/scheduler/clock"
	"github.com/gantryio/gantry/services/scheduler/framework"
	"github.com/gantryio/gantry/services/scheduler/queue"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// podFieldSelector leaves finished pods out: they hold no resources, and
// a pod that finishes leaves the informer as a deletion (as Kubernetes'
// scheduler does it).
const podFieldSelector = "status.phase!=Succeeded,status.phase!=Failed"

// Scheduler is one scheduler replica.
type Scheduler struct {
	cfg   Config
	log   *zap.Logger
	api   API
	clock clock.Clock
	rec   events.Recorder

	nodes, pods *informer.Informer
	cache       *cache.Cache
	queue       *queue.Queue
	fw          *framework.Framework
	algo        *framework.Algorithm
	binder      *batcher[bindItem]
	conds       *conditionWriter
	elector     *leaderelect.Elector
	metrics     *metrics

	grpc   *grpc.Server
	health *health.Server
	http   *http.Server
	lis    net.Listener

	leading              atomic.Bool
	scheduled, conflicts atomic.Int64
}

// New builds a replica and binds its gRPC port; Run starts it.
func New(cfg Config, deps Deps, logger *zap.Logger) (*Scheduler, error) {
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
		deps.Clock = clock.Real()
	}
	s := &Scheduler{cfg: cfg, log: logger.Named("scheduler"), api: deps.Client, clock: deps.Clock,
		rec: events.OrDiscard(deps.Recorder), cache: cache.New(), fw: framework.Default()}
	if err := s.build(); err != nil {
		return nil, err
	}
	if err := s.listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// build makes the queue, algorithm, informers, binder and elector.
func (s *Scheduler) build() error {
	var err error
	if s.queue, err = queue.New(s.cfg.Queue, s.clock); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	s.algo = framework.NewAlgorithm(s.fw, s.cfg.PercentageOfNodesToScore, uint64(s.clock.Now().UnixNano()))
	if err = s.buildInformers(); err != nil {
		return err
	}
	s.binder = newBatcher(s.cfg.BindBatchSize, s.cfg.BindBatchWait, s.cfg.BindWorkers, s.bind)
	s.conds = newConditionWriter(s)
	el := s.cfg.Election
	if el.Now == nil {
		el.Now = s.clock.Now
	}
	if s.elector, err = leaderelect.New(el, s.api, s.log); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	s.metrics = newMetrics(s)
	return nil
}

func (s *Scheduler) buildInformers() error {
	ncfg := informer.DefaultConfig()
	ncfg.Kind = apimeta.KindNode
	pcfg := informer.DefaultConfig()
	pcfg.Kind, pcfg.FieldSelector = apimeta.KindPod, podFieldSelector
	var err error
	if s.nodes, err = informer.New(s.api, ncfg, s.log); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if s.pods, err = informer.New(s.api, pcfg, s.log); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if err = s.nodes.AddEventHandler(informer.Handler{OnAdd: s.onNodeAdd, OnUpdate: s.onNodeUpdate, OnDelete: s.onNodeDelete}); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if err = s.pods.AddEventHandler(informer.Handler{OnAdd: s.onPodAdd, OnUpdate: s.onPodUpdate, OnDelete: s.onPodDelete}); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	return nil
}

// Addr returns the gRPC listen address.
func (s *Scheduler) Addr() string { return s.lis.Addr().String() }

// Identity returns this replica's election identity.
func (s *Scheduler) Identity() string { return s.cfg.Election.Identity }

// Leading reports whether this replica holds the lease and schedules.
func (s *Scheduler) Leading() bool { return s.leading.Load() }

// Run serves and campaigns until ctx ends (nil) or the lease is lost (an
// error wrapping leaderelect.ErrLost), or a server or informer fails.
func (s *Scheduler) Run(ctx context.Context) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 5)
	if err := s.serve(errc); err != nil {
		return err
	}
	defer s.shutdown()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for _, inf := range []*informer.Informer{s.nodes, s.pods} {
		wg.Go(func() {
			if err := inf.Run(rctx); err != nil {
				errc <- fmt.Errorf("scheduler: informer: %w", err)
			}
		})
	}
	wg.Go(func() {
		if err := s.campaign(rctx); err != nil {
			errc <- err
		}
	})
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	if err != nil {
		s.log.Error("scheduler stopping", zap.Error(err))
	}
	return err
}

// campaign waits for the caches, then runs the election; only the holder
// schedules.
func (s *Scheduler) campaign(ctx context.Context) error {
	for _, inf := range []*informer.Informer{s.nodes, s.pods} {
		if err := inf.WaitForSync(ctx); err != nil {
			return nil // ctx ended or the informer failed (reported by Run)
		}
	}
	s.log.Info("caches synced; campaigning", zap.String("identity", s.cfg.Election.Identity))
	err := s.elector.Run(ctx, s.lead)
	if errors.Is(err, leaderelect.ErrLost) {
		return fmt.Errorf("scheduler: %w", err)
	}
	return err
}

// lead schedules until ctx ends (the lease is lost or the process stops).
func (s *Scheduler) lead(ctx context.Context) {
	s.leading.Store(true)
	defer s.leading.Store(false)
	s.log.Info("leading: scheduling pods", zap.String("scheduler_name", s.cfg.SchedulerName))
	var wg sync.WaitGroup
	wg.Go(func() { s.queue.Run(ctx) })
	wg.Go(func() { s.binder.Run(ctx) })
	wg.Go(func() { s.conds.Run(ctx) })
	s.scheduleLoop(ctx)
	wg.Wait()
}
