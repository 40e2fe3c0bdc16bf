package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// Controller allocates node pod CIDRs.
type Controller struct {
	cfg     Config
	client  ctrl.Client
	nodes   ctrl.Cache
	log     *zap.Logger
	set     *cidrSet
	queue   *workqueue.Queue[string]
	runner  *ctrl.Runner
	batcher *ctrl.Batcher

	// waiting holds the nodes that found the cluster CIDR full; a release
	// queues them again.
	mu      sync.Mutex
	waiting map[string]struct{}
}

// New returns a controller and registers its handlers on the Node cache
// (which must not have started yet).
func New(cfg Config, deps Deps, logger *zap.Logger) (*Controller, error) {
	if err := cfg.validate(deps); err != nil {
		return nil, err
	}
	set, err := newCIDRSet(cfg.ClusterCIDR, cfg.NodeMaskSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	qcfg := cfg.Queue
	if deps.Clock != nil {
		qcfg.Clock = deps.Clock
	}
	q, err := ctrl.NewQueue(Name, qcfg)
	if err != nil {
		return nil, err
	}
	c := &Controller{cfg: cfg, client: deps.Client, nodes: deps.Nodes, log: logger.Named(Name), set: set, queue: q,
		batcher: ctrl.NewBatcher(deps.Client, 200, 2), waiting: map[string]struct{}{}}
	c.runner = ctrl.NewRunner(Name, q, c.reconcile, c.log)
	err = deps.Nodes.AddEventHandler(informer.Handler{
		OnAdd:    c.observe,
		OnUpdate: func(_, n *gantryv1.Object) { c.observe(n) },
		OnDelete: c.forget,
	})
	return c, err
}

// Name returns "nodeipam".
func (c *Controller) Name() string { return Name }

// Status reports queue depth and counters.
func (c *Controller) Status() *gantryv1.ControllerStatus { return c.runner.Status() }

// Run waits for the Node cache, rebuilds the used set from every Node,
// then allocates until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if err := ctrl.WaitForSync(ctx, c.nodes); err != nil {
		return nil
	}
	for _, n := range c.nodes.List() {
		c.observe(n)
	}
	c.log.Info("started", zap.String("cluster_cidr", c.cfg.ClusterCIDR), zap.Int("node_mask_size", c.cfg.NodeMaskSize),
		zap.Int("allocated", c.set.used()))
	go c.batcher.Run(ctx)
	c.runner.Run(ctx, c.cfg.Workers)
	return nil
}

// Reconcile allocates for one Node name; exposed for tests.
func (c *Controller) Reconcile(ctx context.Context, name string) error { return c.reconcile(ctx, name) }

// observe marks a Node's CIDR as used, or queues the Node for one.
func (c *Controller) observe(o *gantryv1.Object) {
	n := o.GetNode()
	name := n.GetMetadata().GetName()
	cidr := n.GetSpec().GetPodCidr()
	if cidr == "" {
		c.queue.Add(name)
		return
	}
	p, err := netip.ParsePrefix(cidr)
	if err == nil {
		err = c.set.occupy(p, name)
	}
	if err != nil && !errors.Is(err, ErrOutOfRange) {
		c.log.Error("node pod CIDR conflicts", zap.String("node", name), zap.String("pod_cidr", cidr), zap.Error(err))
	}
}

// forget releases a deleted Node's subnet.
func (c *Controller) forget(o *gantryv1.Object) {
	name := o.GetNode().GetMetadata().GetName()
	p, ok := c.set.release(name)
	if !ok {
		return
	}
	c.log.Debug("released", zap.String("node", name), zap.Stringer("pod_cidr", p))
	c.mu.Lock()
	waiting := c.waiting
	c.waiting = map[string]struct{}{}
	c.mu.Unlock()
	for n := range waiting {
		c.queue.Add(n)
	}
}

// reconcile gives a Node without a pod CIDR its reserved subnet.
func (c *Controller) reconcile(ctx context.Context, name string) error {
	o, ok := c.nodes.Get("", name)
	if !ok || o.GetNode().GetSpec().GetPodCidr() != "" || o.GetNode().GetMetadata().GetDeletionTimestamp() != nil {
		return nil
	}
	p, err := c.set.allocate(name)
	if errors.Is(err, ErrFull) {
		// Not an error to retry with backoff: the node waits for a release.
		c.mu.Lock()
		first := len(c.waiting) == 0
		c.waiting[name] = struct{}{}
		c.mu.Unlock()
		if first {
			c.log.Warn("cluster CIDR is full; nodes wait for a pod CIDR until one is released",
				zap.String("cluster_cidr", c.cfg.ClusterCIDR), zap.Int("node_mask_size", c.cfg.NodeMaskSize), zap.String("node", name))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("allocate a pod CIDR for node %s: %w", name, err)
	}
	n := proto.Clone(o.GetNode()).(*gantryv1.Node)
	if n.Spec == nil {
		n.Spec = &gantryv1.NodeSpec{}
	}
	n.Spec.PodCidr, n.Spec.PodCidrs = p.String(), []string{p.String()}
	r := c.batcher.Do(ctx, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Update{Update: apimeta.Wrap(n)}})
	switch {
	case r.Err == nil:
		c.log.Debug("allocated", zap.String("node", name), zap.Stringer("pod_cidr", p))
		return nil
	case ctrl.IsNotFound(r.Err):
		// The delete event releases the reservation.
		return nil
	}
	// The subnet stays reserved for this node; the retry reuses it.
	return fmt.Errorf("set pod CIDR %s on node %s: %w", p, name, r.Err)
}
