package gc

import (
	"context"
	"fmt"
	"strings"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
)

// Work item prefixes.
const (
	itemDelete = "delete:"
	itemOrphan = "orphan:"
)

// Collector is the garbage collector.
type Collector struct {
	cfg     Config
	client  ctrl.Client
	caches  map[string]ctrl.Cache
	clock   workqueue.Clock
	log     *zap.Logger
	queue   *workqueue.Queue[string]
	runner  *ctrl.Runner
	batcher *ctrl.Batcher
	absent  *absentSet

	mu    sync.Mutex
	graph *graph
}

// New returns a collector and registers its handlers on the caches
// (which must not have started yet).
func New(cfg Config, deps Deps, logger *zap.Logger) (*Collector, error) {
	if err := cfg.validate(deps); err != nil {
		return nil, err
	}
	if deps.Clock == nil {
		deps.Clock = workqueue.RealClock{}
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	qcfg := cfg.Queue
	qcfg.Clock = deps.Clock
	q, err := ctrl.NewQueue(Name, qcfg)
	if err != nil {
		return nil, err
	}
	gc := &Collector{cfg: cfg, client: deps.Client, caches: deps.Caches, clock: deps.Clock, log: logger.Named("gc"),
		queue: q, batcher: ctrl.NewBatcher(deps.Client, cfg.BatchSize, 4), absent: newAbsentSet(cfg.AbsentCacheSize), graph: newGraph()}
	gc.runner = ctrl.NewRunner(Name, q, gc.reconcile, gc.log)
	for kind, c := range deps.Caches {
		if err := c.AddEventHandler(informer.Handler{
			OnAdd:    gc.onUpsert,
			OnUpdate: func(_, n *gantryv1.Object) { gc.onUpsert(n) },
			OnDelete: gc.onDelete,
		}); err != nil {
			return nil, fmt.Errorf("gc: watch %s: %w", kind, err)
		}
	}
	return gc, nil
}

// Name returns "garbagecollector".
func (gc *Collector) Name() string { return Name }

// Status reports queue depth and counters.
func (gc *Collector) Status() *gantryv1.ControllerStatus { return gc.runner.Status() }

// Run waits for every cache, then collects until ctx ends.
func (gc *Collector) Run(ctx context.Context) error {
	synced := make([]ctrl.Synced, 0, len(gc.caches))
	for _, c := range gc.caches {
		synced = append(synced, c)
	}
	if err := ctrl.WaitForSync(ctx, synced...); err != nil {
		return nil
	}
	gc.log.Info("started", zap.Int("workers", gc.cfg.Workers), zap.Int("kinds", len(gc.caches)), zap.Int("nodes", gc.nodes()))
	go gc.batcher.Run(ctx)
	gc.runner.Run(ctx, gc.cfg.Workers)
	return nil
}

// Reconcile processes one work item; exposed for tests.
func (gc *Collector) Reconcile(ctx context.Context, item string) error {
	return gc.reconcile(ctx, item)
}

func (gc *Collector) reconcile(ctx context.Context, item string) error {
	switch {
	case strings.HasPrefix(item, itemDelete):
		return gc.attemptToDelete(ctx, strings.TrimPrefix(item, itemDelete))
	case strings.HasPrefix(item, itemOrphan):
		return gc.attemptToOrphan(ctx, strings.TrimPrefix(item, itemOrphan))
	}
	return nil
}

func (gc *Collector) nodes() int {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	return len(gc.graph.nodes)
}

// snapshot returns a copy of uid's node, or nil.
func (gc *Collector) snapshot(uid string) *snapshot {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	n := gc.graph.nodes[uid]
	if n == nil {
		return nil
	}
	return n.snapshot()
}
