package leaderelect

import (
	"context"
	"errors"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ErrLost is returned by Run when this process held the lease and lost it;
// the process should exit and let its supervisor restart it.
var ErrLost = errors.New("leader election lost")

// Client is what the elector needs of the API.
type Client interface {
	Get(ctx context.Context, kind, namespace, name string) (*gantryv1.Object, error)
	Create(ctx context.Context, o *gantryv1.Object) (*gantryv1.Object, error)
	Update(ctx context.Context, o *gantryv1.Object) (*gantryv1.Object, error)
}

// Config configures an election.
type Config struct {
	// Namespace and Name of the Lease object.
	Namespace, Name string
	// Identity of this candidate; unique per process.
	Identity string
	// LeaseDuration: how long others wait after the lease last changed
	// before taking it. RenewDeadline: how long the leader keeps trying to
	// renew before giving up. RetryPeriod: how often everyone tries.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Now is the clock (injectable for tests).
	Now func() time.Time
}

// DefaultConfig returns client-go's defaults (15 s / 10 s / 2 s).
func DefaultConfig() Config {
	return Config{Namespace: "gantry-system", LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second,
		RetryPeriod: 2 * time.Second, Now: time.Now}
}

func (c Config) validate() error {
	switch {
	case c.Name == "" || c.Namespace == "" || c.Identity == "":
		return errors.New("leaderelect: namespace, name and identity are required")
	case c.RetryPeriod <= 0 || c.RenewDeadline <= c.RetryPeriod || c.LeaseDuration <= c.RenewDeadline:
		return fmt.Errorf("leaderelect: need 0 < retry period (%s) < renew deadline (%s) < lease duration (%s)",
			c.RetryPeriod, c.RenewDeadline, c.LeaseDuration)
	}
	return nil
}

// Elector runs one candidate's side of an election.
type Elector struct {
	cfg Config
	c   Client
	log *zap.Logger

	// observed is the lease as last read, and observedAt when this process
	// saw it change: expiry is judged from observedAt, on our own clock.
	observed   *gantryv1.Lease
	observedRV string
	observedAt time.Time
}

// New returns an elector.
func New(cfg Config, c Client, logger *zap.Logger) (*Elector, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Elector{cfg: cfg, c: c, log: logger.Named("leaderelect").With(zap.String("lease", cfg.Namespace+"/"+cfg.Name))}, nil
}

// Run campaigns until it holds the lease, then calls lead with a context
// that ends when the lease is lost, and returns ErrLost. It returns nil
// when ctx ends first (releasing nothing: the lease simply expires).
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	if !e.acquire(ctx) {
		return nil
	}
	e.log.Info("became leader", zap.String("identity", e.cfg.Identity))
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	err := e.renew(ctx)
	cancel()
	<-done
	return err
}

// acquire retries until this candidate holds the lease or ctx ends.
func (e *Elector) acquire(ctx context.Context) bool {
	for {
		ok, err := e.tryAcquireOrRenew(ctx)
		if err != nil {
			e.log.Debug("lease not acquired", zap.Error(err))
		}
		if ok {
			return true
		}
		if !sleep(ctx, e.cfg.RetryPeriod) {
			return false
		}
	}
}

// renew keeps the lease until a renewal has not succeeded for
// RenewDeadline, then reports ErrLost.
func (e *Elector) renew(ctx context.Context) error {
	lastOK := e.cfg.Now()
	for sleep(ctx, e.cfg.RetryPeriod) {
		rctx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
		ok, err := e.tryAcquireOrRenew(rctx)
		cancel()
		if ok {
			lastOK = e.cfg.Now()
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if e.cfg.Now().Sub(lastOK) >= e.cfg.RenewDeadline || (err == nil && !ok) {
			e.log.Warn("lost the lease", zap.Error(err))
			return ErrLost
		}
	}
	return nil
}

// IsLeader reports whether the last observed lease names this candidate.
func (e *Elector) IsLeader() bool {
	return e.observed.GetSpec().GetHolderIdentity() == e.cfg.Identity
}

// tryAcquireOrRenew takes or renews the lease when it may. It returns
// false without error when another holder's lease is still valid.
func (e *Elector) tryAcquireOrRenew(ctx context.Context) (bool, error) {
	now := e.cfg.Now()
	o, err := e.c.Get(ctx, apimeta.KindLease, e.cfg.Namespace, e.cfg.Name)
	if status.Code(err) == codes.NotFound {
		return e.create(ctx, now)
	}
	if err != nil {
		return false, err
	}
	cur := o.GetLease()
	e.observe(cur, apimeta.Meta(o).GetResourceVersion(), now)
	spec := cur.GetSpec()
	mine := spec.GetHolderIdentity() == e.cfg.Identity
	if !mine && spec.GetHolderIdentity() != "" && now.Before(e.observedAt.Add(e.leaseDuration(spec))) {
		return false, nil
	}
	next := proto.Clone(cur).(*gantryv1.Lease)
	if next.Spec == nil {
		next.Spec = &gantryv1.LeaseSpec{}
	}
	next.Spec.RenewTime = timestamppb.New(now)
	next.Spec.LeaseDurationSeconds = int32(e.cfg.LeaseDuration / time.Second)
	if !mine {
		next.Spec.HolderIdentity = e.cfg.Identity
		next.Spec.AcquireTime = timestamppb.New(now)
		next.Spec.LeaseTransitions++
	}
	updated, err := e.c.Update(ctx, apimeta.Wrap(next))
	if err != nil {
		return false, err
	}
	e.observe(updated.GetLease(), apimeta.Meta(updated).GetResourceVersion(), now)
	return true, nil
}

func (e *Elector) create(ctx context.Context, now time.Time) (bool, error) {
	l := &gantryv1.Lease{
		Metadata: &gantryv1.ObjectMeta{Name: e.cfg.Name, Namespace: e.cfg.Namespace},
		Spec: &gantryv1.LeaseSpec{HolderIdentity: e.cfg.Identity, LeaseDurationSeconds: int32(e.cfg.LeaseDuration / time.Second),
			AcquireTime: timestamppb.New(now), RenewTime: timestamppb.New(now)},
	}
	created, err := e.c.Create(ctx, apimeta.Wrap(l))
	if err != nil {
		return false, err
	}
	e.observe(created.GetLease(), apimeta.Meta(created).GetResourceVersion(), now)
	return true, nil
}

// observe records a lease read; observedAt moves only when the lease
// changed, so a holder that stops renewing expires on our clock.
func (e *Elector) observe(l *gantryv1.Lease, rv string, now time.Time) {
	if e.observed == nil || rv != e.observedRV {
		e.observedAt = now
	}
	e.observed, e.observedRV = l, rv
}

func (e *Elector) leaseDuration(s *gantryv1.LeaseSpec) time.Duration {
	if d := time.Duration(s.GetLeaseDurationSeconds()) * time.Second; d > 0 {
		return d
	}
	return e.cfg.LeaseDuration
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
