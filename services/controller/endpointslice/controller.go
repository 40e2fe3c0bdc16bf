package endpointslice

import (
	"context"
	"errors"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
)

// Controller is the EndpointSlice controller.
type Controller struct {
	cfg      Config
	client   ctrl.Client
	services ctrl.Cache
	pods     ctrl.Cache
	slices   ctrl.Cache
	clock    workqueue.Clock
	log      *zap.Logger
	tracker  *tracker
	queue    *workqueue.Queue[string]
	runner   *ctrl.Runner
	stats    stats
}

// Indexes this controller adds to the shared caches.
const (
	// indexPodLabel maps "namespace/key=value" of every pod label to the
	// pod, so a Service finds its pods without scanning its namespace.
	indexPodLabel = "endpointslice-pod-label"
	// indexSliceService maps "namespace/service" (the service-name
	// label) to the slices.
	indexSliceService = "endpointslice-service"
)

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
	c := &Controller{
		cfg: cfg, client: deps.Client, services: deps.Services, pods: deps.Pods, slices: deps.Slices,
		clock: deps.Clock, log: logger.Named(Name), tracker: newTracker(cfg.TrackerTTL, deps.Clock.Now), queue: q,
	}
	c.runner = ctrl.NewRunner(Name, q, c.reconcile, c.log)
	if err := c.register(); err != nil {
		q.ShutDown()
		return nil, err
	}
	return c, nil
}

func (c *Controller) register() error {
	if err := ctrl.EnsureIndexes(c.services, informer.NamespaceIndex); err != nil {
		return err
	}
	if err := addIndex(c.pods, indexPodLabel, podLabelValues); err != nil {
		return err
	}
	if err := addIndex(c.slices, indexSliceService, sliceServiceValues); err != nil {
		return err
	}
	if err := c.services.AddEventHandler(informer.Handler{
		OnAdd: c.addService, OnUpdate: c.updateService, OnDelete: c.deleteService,
	}); err != nil {
		return err
	}
	if err := c.pods.AddEventHandler(informer.Handler{
		OnAdd: c.addPod, OnUpdate: c.updatePod, OnDelete: c.deletePod,
	}); err != nil {
		return err
	}
	return c.slices.AddEventHandler(informer.Handler{
		OnAdd:    func(o *gantryv1.Object) { c.sliceChanged(nil, o) },
		OnUpdate: c.sliceChanged,
		OnDelete: func(o *gantryv1.Object) { c.sliceChanged(o, nil) },
	})
}

// addIndex adds an index unless an identical controller on the same cache
// already did.
func addIndex(cache ctrl.Cache, name string, fn informer.IndexFunc) error {
	if err := cache.AddIndex(name, fn); err != nil && !errors.Is(err, informer.ErrIndexExists) {
		return err
	}
	return nil
}

func podLabelValues(o *gantryv1.Object) []string {
	m := o.GetPod().GetMetadata()
	out := make([]string, 0, len(m.GetLabels()))
	for k, v := range m.GetLabels() {
		out = append(out, labelValue(m.GetNamespace(), k, v))
	}
	return out
}

func labelValue(namespace, k, v string) string { return namespace + "/" + k + "=" + v }

func sliceServiceValues(o *gantryv1.Object) []string {
	m := o.GetEndpointSlice().GetMetadata()
	if name := m.GetLabels()[LabelServiceName]; name != "" {
		return []string{m.GetNamespace() + "/" + name}
	}
	return nil
}

// Name returns "endpointslice".
func (c *Controller) Name() string { return Name }

// Run waits for the caches, then reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	if err := ctrl.WaitForSync(ctx, c.services, c.pods, c.slices); err != nil {
		return nil
	}
	c.log.Info("started", zap.Int("workers", c.cfg.Workers), zap.Int("maxEndpointsPerSlice", c.cfg.MaxEndpointsPerSlice))
	c.runner.Run(ctx, c.cfg.Workers)
	return nil
}

// Status reports queue depth and counters.
func (c *Controller) Status() *gantryv1.ControllerStatus { return c.runner.Status() }

// Reconcile syncs the Service "namespace/name" once (what a worker does
// for a key); exposed for tests that step controllers by hand.
func (c *Controller) Reconcile(ctx context.Context, key string) error { return c.reconcile(ctx, key) }
