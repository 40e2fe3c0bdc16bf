package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// indexNodeName maps a node name to the pods bound to it.
const indexNodeName = "nodelifecycle-node-name"

// Controller judges node health and evicts pods from tainted nodes.
type Controller struct {
	cfg                 Config
	client              ctrl.Client
	nodes, leases, pods ctrl.Cache
	clock               workqueue.Clock
	rec                 events.Recorder
	log                 *zap.Logger
	queue               *workqueue.Queue[string]
	runner              *ctrl.Runner
	seen                *tracker
	notReady            markedPods
	limiter             *limiter

	// leading is set once Run has given every node its fresh grace
	// period; handlers only queue work after that.
	leading atomic.Bool
	braked  atomic.Bool
	unhealthyNodes, totalNodes,
	evictions, tainted atomic.Int64
}

// New returns a controller and registers its handlers on the caches
// (which must not have started yet).
func New(cfg Config, deps Deps, logger *zap.Logger) (*Controller, error) {
	if err := cfg.validate(deps); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	if deps.Clock == nil {
		deps.Clock = workqueue.RealClock{}
	}
	qcfg := cfg.Queue
	qcfg.Clock = deps.Clock
	q, err := ctrl.NewQueue(Name, qcfg)
	if err != nil {
		return nil, err
	}
	c := &Controller{cfg: cfg, client: deps.Client, nodes: deps.Nodes, leases: deps.Leases, pods: deps.Pods,
		clock: deps.Clock, rec: events.OrDiscard(deps.Recorder), log: logger.Named(Name), queue: q, seen: newTracker(), limiter: newLimiter(cfg.EvictionRate)}
	c.runner = ctrl.NewRunner(Name, q, c.reconcile, c.log)
	if err := c.register(); err != nil {
		return nil, fmt.Errorf("nodelifecycle: %w", err)
	}
	return c, nil
}

func (c *Controller) register() error {
	err := c.pods.AddIndex(indexNodeName, func(o *gantryv1.Object) []string {
		if n := o.GetPod().GetSpec().GetNodeName(); n != "" {
			return []string{n}
		}
		return nil
	})
	if err != nil && !errors.Is(err, informer.ErrIndexExists) {
		return err
	}
	if err := c.nodes.AddEventHandler(informer.Handler{
		OnAdd:    c.nodeChanged,
		OnUpdate: func(_, n *gantryv1.Object) { c.nodeChanged(n) },
		OnDelete: func(o *gantryv1.Object) { c.seen.forget(o.GetNode().GetMetadata().GetName()) },
	}); err != nil {
		return err
	}
	if err := c.leases.AddEventHandler(informer.Handler{
		OnAdd:    c.leaseChanged,
		OnUpdate: func(_, l *gantryv1.Object) { c.leaseChanged(l) },
	}); err != nil {
		return err
	}
	return c.pods.AddEventHandler(informer.Handler{
		OnAdd:    c.podChanged,
		OnUpdate: func(_, p *gantryv1.Object) { c.podChanged(p) },
	})
}

// Name returns "nodelifecycle".
func (c *Controller) Name() string { return Name }

// Status reports queue depth and counters.
func (c *Controller) Status() *gantryv1.ControllerStatus { return c.runner.Status() }

// Run waits for the caches, gives every node a fresh grace period from
// now, then judges nodes until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if err := ctrl.WaitForSync(ctx, c.nodes, c.leases, c.pods); err != nil {
		return nil
	}
	c.begin()
	c.log.Info("started", zap.Duration("grace_period", c.cfg.GracePeriod), zap.Float64("eviction_rate", c.cfg.EvictionRate),
		zap.Float64("unhealthy_threshold", c.cfg.UnhealthyThreshold), zap.Int("nodes", len(c.nodes.List())))
	go c.monitor(ctx)
	c.runner.Run(ctx, c.cfg.Workers)
	return nil
}

// begin gives every node a fresh grace period from now and queues them
// all: what this replica saw as a standby, or a previous leader saw, does
// not count.
func (c *Controller) begin() {
	c.seen.restart(c.clock.Now())
	c.leading.Store(true)
	c.enqueueAll()
}

// monitor assesses the cluster every MonitorPeriod, so the brake (and its
// metric) follows nodes that go quiet even when nothing else happens.
func (c *Controller) monitor(ctx context.Context) {
	for {
		t := c.clock.NewTimer(c.cfg.MonitorPeriod)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		c.assess(c.clock.Now())
	}
}

// Reconcile judges one node; exposed for tests.
func (c *Controller) Reconcile(ctx context.Context, name string) error { return c.reconcile(ctx, name) }

func (c *Controller) enqueueAll() {
	if !c.leading.Load() {
		return
	}
	for _, o := range c.nodes.List() {
		c.queue.Add(o.GetNode().GetMetadata().GetName())
	}
}

// nodeChanged notes a heartbeat and queues the node.
func (c *Controller) nodeChanged(o *gantryv1.Object) {
	n := o.GetNode()
	name := n.GetMetadata().GetName()
	if hb := readyCondition(n).GetLastHeartbeatTime(); hb != nil {
		c.seen.heartbeat(name, hb.AsTime(), c.clock.Now())
	}
	if c.leading.Load() {
		c.queue.Add(name)
	}
}

// leaseChanged notes a renewal; a node that may be waiting for one (not
// Ready, or tainted) is looked at at once.
func (c *Controller) leaseChanged(o *gantryv1.Object) {
	l := o.GetLease()
	if l.GetMetadata().GetNamespace() != LeaseNamespace || l.GetSpec().GetRenewTime() == nil {
		return
	}
	name := l.GetMetadata().GetName()
	if !c.seen.renewed(name, l.GetSpec().GetRenewTime().AsTime(), c.clock.Now()) || !c.leading.Load() {
		return
	}
	if n, ok := c.nodes.Get("", name); ok && (readyStatus(n.GetNode()) != StatusTrue || len(lifecycleTaints(n.GetNode())) > 0) {
		c.queue.Add(name)
	}
}

// podChanged queues the node of a pod bound to a node with a NoExecute
// taint (a pod that arrives on a tainted node must be judged too).
func (c *Controller) podChanged(o *gantryv1.Object) {
	node := o.GetPod().GetSpec().GetNodeName()
	if node == "" || !c.leading.Load() {
		return
	}
	n, ok := c.nodes.Get("", node)
	if !ok {
		return
	}
	for _, t := range n.GetNode().GetSpec().GetTaints() {
		if t.GetEffect() == "NoExecute" {
			c.queue.Add(node)
			return
		}
	}
}

// reconcile judges one node: conditions, then taints, then evictions,
// one write at a time (each write's event brings the node back).
func (c *Controller) reconcile(ctx context.Context, name string) error {
	o, ok := c.nodes.Get("", name)
	if !ok {
		c.notReady.reset(name)
		return nil
	}
	n := o.GetNode()
	if n.GetMetadata().GetDeletionTimestamp() != nil {
		return nil
	}
	now := c.clock.Now()
	last := c.seen.lastSeen(name, now)
	stale := now.Sub(last) >= c.cfg.GracePeriod
	if !stale {
		c.queue.AddAfter(name, last.Add(c.cfg.GracePeriod).Sub(now))
	}
	if stale && readyStatus(n) != StatusUnknown {
		return c.markUnknown(ctx, n, now)
	}
	// Unlike Kubernetes, not while braked: when most nodes look lost the
	// fault is more likely on this side, and emptying every Service would
	// turn it into an outage.
	if readyStatus(n) == StatusTrue {
		c.notReady.reset(name)
	} else if !c.assess(now).braked {
		if err := c.markPodsNotReady(ctx, name, now); err != nil {
			return err
		}
	}
	if wrote, err := c.syncTaints(ctx, n, now); wrote || err != nil {
		return err
	}
	return c.evict(ctx, n, stale, now)
}

// markUnknown sets the node's agent conditions to Unknown.
func (c *Controller) markUnknown(ctx context.Context, n *gantryv1.Node, now time.Time) error {
	name := n.GetMetadata().GetName()
	out := markedUnknown(n, timestamppb.New(now))
	if _, err := c.client.UpdateStatus(ctx, apimeta.Wrap(out)); err != nil {
		return fmt.Errorf("node %s: mark Unknown: %w", name, err)
	}
	c.log.Warn("node stopped renewing its lease: marked Unknown", zap.String("node", name),
		zap.Duration("grace_period", c.cfg.GracePeriod), zap.String("was", readyStatus(n)))
	c.rec.Eventf(n, events.Normal, "NodeNotReady", "Node %s status is now: NodeNotReady", name)
	return nil
}
