package disruption

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/labels"
)

// Controller is the disruption controller.
type Controller struct {
	cfg                                     Config
	client                                  ctrl.Client
	budgets, pods, replicaSets, deployments ctrl.Cache
	clock                                   workqueue.Clock
	log                                     *zap.Logger
	queue                                   *workqueue.Queue[string]
	runner                                  *ctrl.Runner
}

// New returns a controller and registers its handlers on the caches
// (which must not have started yet).
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
	c := &Controller{cfg: cfg, client: deps.Client, budgets: deps.Budgets, pods: deps.Pods, replicaSets: deps.ReplicaSets,
		deployments: deps.Deployments, clock: deps.Clock, log: logger.Named(Name), queue: q}
	c.runner = ctrl.NewRunner(Name, q, c.reconcile, c.log)
	if err := c.register(); err != nil {
		q.ShutDown()
		return nil, err
	}
	return c, nil
}

func (c *Controller) register() error {
	if err := ctrl.EnsureIndexes(c.budgets, informer.NamespaceIndex); err != nil {
		return err
	}
	if err := ctrl.EnsureIndexes(c.pods, informer.NamespaceIndex); err != nil {
		return err
	}
	enqueue := func(o *gantryv1.Object) {
		c.queue.Add(apimeta.Key(apimeta.Meta(o).GetNamespace(), apimeta.Meta(o).GetName()))
	}
	if err := c.budgets.AddEventHandler(informer.Handler{
		OnAdd: enqueue, OnUpdate: func(_, n *gantryv1.Object) { enqueue(n) }, OnDelete: enqueue,
	}); err != nil {
		return err
	}
	podChanged := func(o *gantryv1.Object) { c.enqueueBudgetsOf(o, false) }
	if err := c.pods.AddEventHandler(informer.Handler{
		OnAdd: podChanged, OnUpdate: func(o, n *gantryv1.Object) { podChanged(o); podChanged(n) }, OnDelete: podChanged,
	}); err != nil {
		return err
	}
	// A scale change moves the expected pods of the namespace's budgets.
	scaled := func(o *gantryv1.Object) { c.enqueueBudgetsOf(o, true) }
	for _, cache := range []ctrl.Cache{c.replicaSets, c.deployments} {
		if err := cache.AddEventHandler(informer.Handler{
			OnAdd: scaled, OnUpdate: func(_, n *gantryv1.Object) { scaled(n) }, OnDelete: scaled,
		}); err != nil {
			return err
		}
	}
	return nil
}

// enqueueBudgetsOf queues the budgets of o's namespace that select it (a
// pod), or all of them (all).
func (c *Controller) enqueueBudgetsOf(o *gantryv1.Object, all bool) {
	m := apimeta.Meta(o)
	objs, err := c.budgets.ListByIndex(informer.NamespaceIndex, m.GetNamespace())
	if err != nil {
		return
	}
	for _, b := range objs {
		pdb := b.GetPodDisruptionBudget()
		if all || selects(pdb, m.GetLabels()) {
			c.queue.Add(apimeta.Key(pdb.GetMetadata().GetNamespace(), pdb.GetMetadata().GetName()))
		}
	}
}

// selects: the budget's selector matches the labels (a missing or broken
// selector matches nothing).
func selects(pdb *gantryv1.PodDisruptionBudget, l map[string]string) bool {
	if pdb.GetSpec().GetSelector() == nil {
		return false
	}
	sel, err := selector.FromLabelSelector(pdb.GetSpec().GetSelector())
	return err == nil && sel.Matches(labels.Set(l))
}

// Name returns "disruption".
func (c *Controller) Name() string { return Name }

// Run waits for the caches, then reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if err := ctrl.WaitForSync(ctx, c.budgets, c.pods, c.replicaSets, c.deployments); err != nil {
		return nil
	}
	c.log.Info("started", zap.Int("workers", c.cfg.Workers))
	c.runner.Run(ctx, c.cfg.Workers)
	return nil
}

// Status reports queue depth and counters.
func (c *Controller) Status() *gantryv1.ControllerStatus { return c.runner.Status() }

// Reconcile syncs the budget "namespace/name" once; for tests.
func (c *Controller) Reconcile(ctx context.Context, key string) error { return c.reconcile(ctx, key) }
