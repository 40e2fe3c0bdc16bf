package deployment

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
)

// Controller is the Deployment controller.
type Controller struct {
	cfg     Config
	client  ctrl.Client
	deploys ctrl.Cache
	rsets   ctrl.Cache
	pods    ctrl.Cache
	clock   workqueue.Clock
	rec     events.Recorder
	log     *zap.Logger
	queue   *workqueue.Queue[string]
	runner  *ctrl.Runner
}

// New returns a controller and registers its handlers and indexes on the
// caches (which must not have started yet).
func New(cfg Config, deps Deps, logger *zap.Logger) (*Controller, error) {
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
	c := &Controller{cfg: cfg, client: deps.Client, deploys: deps.Deployments, rsets: deps.ReplicaSets, pods: deps.Pods,
		clock: deps.Clock, rec: events.OrDiscard(deps.Recorder), log: logger.Named(Name), queue: q}
	c.runner = ctrl.NewRunner(Name, q, c.reconcile, c.log)
	if err := c.register(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Controller) register() error {
	if err := ctrl.EnsureIndexes(c.rsets, ctrl.IndexControllerUID, ctrl.IndexOrphans); err != nil {
		return err
	}
	if err := ctrl.EnsureIndexes(c.pods, ctrl.IndexControllerUID); err != nil {
		return err
	}
	if err := ctrl.EnsureIndexes(c.deploys, informer.NamespaceIndex); err != nil {
		return err
	}
	if err := c.deploys.AddEventHandler(informer.Handler{
		OnAdd: c.enqueue, OnUpdate: func(_, n *gantryv1.Object) { c.enqueue(n) }, OnDelete: c.enqueue,
	}); err != nil {
		return err
	}
	if err := c.rsets.AddEventHandler(informer.Handler{OnAdd: c.addRS, OnUpdate: c.updateRS, OnDelete: c.deleteRS}); err != nil {
		return err
	}
	return c.pods.AddEventHandler(informer.Handler{
		OnAdd: c.podChanged, OnUpdate: func(o, n *gantryv1.Object) { c.podChanged(n) }, OnDelete: c.podChanged,
	})
}

// Name returns "deployment".
func (c *Controller) Name() string { return Name }

// Run waits for the caches, then reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if err := ctrl.WaitForSync(ctx, c.deploys, c.rsets, c.pods); err != nil {
		return nil
	}
	c.log.Info("started", zap.Int("workers", c.cfg.Workers))
	c.runner.Run(ctx, c.cfg.Workers)
	return nil
}

// Status reports queue depth and counters.
func (c *Controller) Status() *gantryv1.ControllerStatus { return c.runner.Status() }

func (c *Controller) enqueue(o *gantryv1.Object) { c.queue.Add(ctrl.Key(o)) }

// Reconcile syncs the Deployment "namespace/name" once (what a worker
// does for a key); exposed for tests that step controllers by hand.
func (c *Controller) Reconcile(ctx context.Context, key string) error { return c.reconcile(ctx, key) }
