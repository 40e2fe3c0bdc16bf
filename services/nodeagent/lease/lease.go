package lease

import (
	"context"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/utils/clock"
)

// Namespace holds the node leases.
const Namespace = "gantry-node-lease"

// API is what the renewer needs: Batch writes and single reads.
type API interface {
	Batch(ctx context.Context, in *gantryv1.BatchRequest, opts ...grpc.CallOption) (*gantryv1.BatchResponse, error)
	Get(ctx context.Context, kind, namespace, name string) (*gantryv1.Object, error)
}

// Config tunes renewals.
type Config struct {
	// Duration is the lease's leaseDurationSeconds.
	Duration time.Duration
	// RenewInterval is how often each lease is renewed.
	RenewInterval time.Duration
	// Spread is into how many groups renewals are split over the interval.
	Spread int
	// MaxBatch bounds one Batch call.
	MaxBatch int
	// Timeout bounds one call.
	Timeout time.Duration
	Clock   clock.WithTicker
}

// DefaultConfig returns the kubelet's defaults: 40 s leases renewed every 10 s.
func DefaultConfig() Config {
	return Config{Duration: 40 * time.Second, RenewInterval: 10 * time.Second, Spread: 10, MaxBatch: 500,
		Timeout: 10 * time.Second, Clock: clock.RealClock{}}
}

// Renewer keeps the leases of a set of nodes.
type Renewer struct {
	cfg Config
	api API
	log *zap.Logger

	mu      sync.Mutex
	nodes   []string
	owner   map[string]string // node -> node uid (owner reference)
	leases  map[string]*gantryv1.Lease
	renewed map[string]time.Time
}

// New returns a renewer without nodes.
func New(cfg Config, api API, logger *zap.Logger) *Renewer {
	def := DefaultConfig()
	if cfg.Duration <= 0 {
		cfg.Duration = def.Duration
	}
	if cfg.RenewInterval <= 0 {
		cfg.RenewInterval = def.RenewInterval
	}
	if cfg.Spread <= 0 {
		cfg.Spread = def.Spread
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = def.MaxBatch
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Clock == nil {
		cfg.Clock = def.Clock
	}
	return &Renewer{cfg: cfg, api: api, log: logger.Named("lease"), owner: map[string]string{},
		leases: map[string]*gantryv1.Lease{}, renewed: map[string]time.Time{}}
}

// Add makes the renewer keep node's lease; nodeUID, when known, makes the
// Node the lease's owner, so deleting the Node collects the lease.
func (r *Renewer) Add(node, nodeUID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.owner[node]; !ok {
		r.nodes = append(r.nodes, node)
	}
	r.owner[node] = nodeUID
}

// Renewed returns when node's lease was last renewed (zero: never).
func (r *Renewer) Renewed(node string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.renewed[node]
}

// Run renews every lease at once, then each every RenewInterval, spread
// over the interval, until ctx ends.
func (r *Renewer) Run(ctx context.Context) error {
	r.renew(ctx, r.group(-1))
	spread := r.spread()
	tick := r.cfg.Clock.NewTicker(r.cfg.RenewInterval / time.Duration(spread))
	defer func() { tick.Stop() }()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C():
		}
		if s := r.spread(); s != spread { // nodes were added
			spread = s
			tick.Stop()
			tick = r.cfg.Clock.NewTicker(r.cfg.RenewInterval / time.Duration(spread))
		}
		r.renew(ctx, r.group(i%spread))
	}
}

func (r *Renewer) spread() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(1, min(r.cfg.Spread, len(r.nodes)))
}

// group returns the nodes renewed at tick i (all of them for i < 0).
func (r *Renewer) group(i int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	spread := max(1, min(r.cfg.Spread, len(r.nodes)))
	var out []string
	for j, n := range r.nodes {
		if i < 0 || j%spread == i {
			out = append(out, n)
		}
	}
	return out
}

// renew renews nodes in batches; leases whose version was stale are read
// again and renewed in one more round.
func (r *Renewer) renew(ctx context.Context, nodes []string) {
	for attempt := 0; attempt < 2 && len(nodes) > 0 && ctx.Err() == nil; attempt++ {
		var again []string
		for start := 0; start < len(nodes); start += r.cfg.MaxBatch {
			again = append(again, r.renewBatch(ctx, nodes[start:min(start+r.cfg.MaxBatch, len(nodes))])...)
		}
		nodes = again
	}
}

func (r *Renewer) renewBatch(ctx context.Context, nodes []string) []string {
	now := r.cfg.Clock.Now()
	req := &gantryv1.BatchRequest{}
	for _, n := range nodes {
		req.Ops = append(req.Ops, r.op(n, now))
	}
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	resp, err := r.api.Batch(cctx, req)
	if err != nil || len(resp.GetResults()) != len(nodes) {
		r.log.Warn("lease renewal failed", zap.Int("leases", len(nodes)), zap.Error(err))
		return nil
	}
	var again []string
	for i, res := range resp.GetResults() {
		switch codes.Code(res.GetCode()) {
		case codes.OK:
			r.stored(nodes[i], res.GetObject().GetLease(), now)
		case codes.Aborted, codes.AlreadyExists:
			r.refresh(cctx, nodes[i])
			again = append(again, nodes[i])
		case codes.NotFound:
			r.forget(nodes[i])
			again = append(again, nodes[i])
		default:
			r.log.Warn("lease renewal refused", zap.String("node", nodes[i]), zap.String("error", res.GetMessage()))
		}
	}
	return again
}

// op is the write that renews node's lease: an update from the version we
// hold, or a create when we hold none.
func (r *Renewer) op(node string, now time.Time) *gantryv1.BatchOp {
	r.mu.Lock()
	defer r.mu.Unlock()
	secs := int32(r.cfg.Duration / time.Second)
	if old := r.leases[node]; old != nil {
		l := proto.Clone(old).(*gantryv1.Lease)
		if l.Spec == nil {
			l.Spec = &gantryv1.LeaseSpec{}
		}
		if l.Spec.HolderIdentity != node {
			l.Spec.HolderIdentity, l.Spec.AcquireTime = node, timestamppb.New(now)
			l.Spec.LeaseTransitions++
		}
		l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = secs, timestamppb.New(now)
		return &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Update{Update: &gantryv1.Object{Kind: &gantryv1.Object_Lease{Lease: l}}}}
	}
	md := &gantryv1.ObjectMeta{Namespace: Namespace, Name: node}
	if uid := r.owner[node]; uid != "" {
		ctrl := false
		md.OwnerReferences = []*gantryv1.OwnerReference{{ApiVersion: "v1", Kind: "Node", Name: node, Uid: uid, Controller: &ctrl}}
	}
	l := &gantryv1.Lease{Metadata: md, Spec: &gantryv1.LeaseSpec{HolderIdentity: node, LeaseDurationSeconds: secs,
		AcquireTime: timestamppb.New(now), RenewTime: timestamppb.New(now)}}
	return &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Create{Create: &gantryv1.Object{Kind: &gantryv1.Object_Lease{Lease: l}}}}
}

func (r *Renewer) stored(node string, l *gantryv1.Lease, now time.Time) {
	r.mu.Lock()
	r.leases[node], r.renewed[node] = l, now
	r.mu.Unlock()
}

func (r *Renewer) forget(node string) {
	r.mu.Lock()
	delete(r.leases, node)
	r.mu.Unlock()
}

// refresh reads a lease whose stored version we do not hold.
func (r *Renewer) refresh(ctx context.Context, node string) {
	o, err := r.api.Get(ctx, "Lease", Namespace, node)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		delete(r.leases, node)
		return
	}
	r.leases[node] = o.GetLease()
}
