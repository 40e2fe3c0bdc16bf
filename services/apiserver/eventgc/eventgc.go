package eventgc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
)

// Config tunes expiry.
type Config struct {
	// TTL is how long an Event lives after it was last seen (0: for ever).
	TTL time.Duration
	// MaxEvents caps the Events of the whole cluster; past it the oldest
	// are deleted (0: no cap).
	MaxEvents int
	// Interval is the longest time between two sweeps; Check is how often
	// the count is compared with MaxEvents, so a burst of events is cut
	// back within Check rather than Interval.
	Interval, Check time.Duration
	// BatchSize bounds the deletes of one Raft entry.
	BatchSize int
	// Now is the leader's clock (time.Now when nil).
	Now func() time.Time
}

// DefaultConfig returns kube-apiserver's TTL (1 h) and a cap of 10,000.
func DefaultConfig() Config {
	return Config{TTL: time.Hour, MaxEvents: 10000, Interval: 30 * time.Second, Check: time.Second, BatchSize: 500}
}

// ErrConfig is wrapped by Validate's errors.
var ErrConfig = errors.New("eventgc: invalid config")

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.TTL < 0:
		return fmt.Errorf("%w: --event-ttl %s is negative", ErrConfig, c.TTL)
	case c.MaxEvents < 0:
		return fmt.Errorf("%w: --max-events %d is negative", ErrConfig, c.MaxEvents)
	case c.Interval <= 0 || c.Check <= 0 || c.BatchSize < 1 || c.BatchSize > 1000:
		return fmt.Errorf("%w: need Interval and Check > 0 and BatchSize in [1, 1000]", ErrConfig)
	}
	return nil
}

// Store is the leader's view of the Events.
type Store interface {
	List(kind string, opts store.ListOptions) (store.ListResult, error)
	Count(kind string) int
}

// Writer applies deletes through the API (api.Service.Batch).
type Writer interface {
	Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error)
}

// Collector deletes expired and surplus Events.
type Collector struct {
	cfg Config
	st  Store
	w   Writer
	log *zap.Logger
	// deleted counts the Events this master deleted, for metrics.
	deleted atomic.Int64
}

// Deleted returns how many Events this master has deleted.
func (c *Collector) Deleted() int64 { return c.deleted.Load() }

// New returns a Collector; Run it on the leader.
func New(cfg Config, st Store, w Writer, logger *zap.Logger) *Collector {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Collector{cfg: cfg, st: st, w: w, log: logger.Named("eventgc")}
}

// Enabled reports whether there is anything to enforce.
func (c *Collector) Enabled() bool { return c.cfg.TTL > 0 || c.cfg.MaxEvents > 0 }

// Run sweeps every Interval, and sooner when the cap is passed, until ctx
// ends (leadership lost, or the master stops).
func (c *Collector) Run(ctx context.Context) {
	if !c.Enabled() {
		return
	}
	tick := time.NewTicker(c.cfg.Check)
	defer tick.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		over := c.cfg.MaxEvents > 0 && c.st.Count(apimeta.KindEvent) > c.cfg.MaxEvents
		if !over && time.Since(last) < c.cfg.Interval {
			continue
		}
		last = time.Now()
		if _, err := c.Sweep(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("event expiry sweep failed; retrying at the next", zap.Error(err))
		}
	}
}

// victim is an Event to delete.
type victim struct {
	ns, name, uid, rv string
	seen              time.Time
	key               string
}

// Sweep deletes the Events past the TTL, then the oldest past the cap,
// and returns how many deletes succeeded.
func (c *Collector) Sweep(ctx context.Context) (int, error) {
	res, err := c.st.List(apimeta.KindEvent, store.ListOptions{})
	if err != nil {
		return 0, err
	}
	now := c.cfg.Now()
	var del, keep []victim
	for _, o := range res.Items {
		v := victimOf(o)
		if c.cfg.TTL > 0 && now.Sub(v.seen) > c.cfg.TTL {
			del = append(del, v)
		} else {
			keep = append(keep, v)
		}
	}
	expired := len(del)
	if c.cfg.MaxEvents > 0 && len(keep) > c.cfg.MaxEvents {
		// Oldest first; the key breaks ties, so every leader picks alike.
		sort.Slice(keep, func(i, j int) bool {
			if !keep[i].seen.Equal(keep[j].seen) {
				return keep[i].seen.Before(keep[j].seen)
			}
			return keep[i].key < keep[j].key
		})
		del = append(del, keep[:len(keep)-c.cfg.MaxEvents]...)
	}
	if len(del) == 0 {
		return 0, nil
	}
	n, err := c.delete(ctx, del)
	c.deleted.Add(int64(n))
	c.log.Info("expired events", zap.Int("deleted", n), zap.Int("past_ttl", expired), zap.Int("past_cap", len(del)-expired),
		zap.Int("events", len(res.Items)))
	return n, err
}

func victimOf(o *gantryv1.Object) victim {
	e, m := o.GetEvent(), apimeta.Meta(o)
	seen := m.GetCreationTimestamp().AsTime()
	for _, ts := range []interface{ AsTime() time.Time }{e.GetLastTimestamp(), e.GetEventTime()} {
		if t := ts.AsTime(); t.After(seen) {
			seen = t
		}
	}
	return victim{ns: m.GetNamespace(), name: m.GetName(), uid: m.GetUid(), rv: m.GetResourceVersion(), seen: seen,
		key: apimeta.Key(m.GetNamespace(), m.GetName())}
}

// delete deletes the victims in Batches, each only if unchanged since
// the sweep read it.
func (c *Collector) delete(ctx context.Context, vs []victim) (int, error) {
	deleted := 0
	for start := 0; start < len(vs); start += c.cfg.BatchSize {
		chunk := vs[start:min(start+c.cfg.BatchSize, len(vs))]
		req := &gantryv1.BatchRequest{Ops: make([]*gantryv1.BatchOp, len(chunk))}
		for i, v := range chunk {
			req.Ops[i] = &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Delete{Delete: &gantryv1.DeleteRequest{
				Kind: apimeta.KindEvent, Namespace: v.ns, Name: v.name,
				Preconditions: &gantryv1.Preconditions{Uid: v.uid, ResourceVersion: v.rv},
			}}}
		}
		resp, err := c.w.Batch(ctx, req)
		if err != nil {
			return deleted, fmt.Errorf("delete %d events: %w", len(chunk), err)
		}
		for _, r := range resp.GetResults() {
			// NOT_FOUND: gone already; ABORTED / FAILED_PRECONDITION: it
			// changed since, judged again next time.
			if codes.Code(r.GetCode()) == codes.OK {
				deleted++
			}
		}
	}
	return deleted, nil
}
