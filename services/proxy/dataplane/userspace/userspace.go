package userspace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/table"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Dataplane is the userspace dataplane (see the package comment).
type Dataplane struct {
	cfg    Config
	log    *zap.Logger
	m      *metrics
	addr   netip.Addr
	npAddr netip.Addr // invalid: no node ports
	dialer net.Dialer
	bufs   sync.Pool

	// ctx ends with Close: it bounds dials and stops relays.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	tcpConns    atomic.Int64
	udpSessions atomic.Int64

	mu     sync.Mutex
	routes map[table.PortKey]*route
	// claims maps the service ports given out on addr to their routes.
	claims map[claim]table.PortKey
	closed bool
}

type claim struct {
	proto table.Protocol
	port  uint16
}

var (
	_ dataplane.Dataplane = (*Dataplane)(nil)
	_ dataplane.Reporter  = (*Dataplane)(nil)
)

// ErrClosed is returned by Apply after Close.
var ErrClosed = errors.New("userspace: closed")

// New returns a dataplane that carries nothing yet; its metrics are
// registered on reg (nil: not registered).
func New(cfg Config, reg prometheus.Registerer, log *zap.Logger) (*Dataplane, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("userspace: metrics: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	d := &Dataplane{
		cfg: cfg, log: log, m: m,
		addr:   netip.MustParseAddr(cfg.Address).Unmap(),
		dialer: net.Dialer{Timeout: cfg.DialTimeout},
		routes: map[table.PortKey]*route{},
		claims: map[claim]table.PortKey{},
	}
	if cfg.NodePortAddress != "" {
		d.npAddr = netip.MustParseAddr(cfg.NodePortAddress).Unmap()
	}
	d.bufs.New = func() any { b := make([]byte, cfg.BufferSize); return &b }
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d, nil
}

// Apply carries ch.New: removed routes first (their ports are free again),
// then changed and added ones. Every operation is idempotent, as the
// Dataplane contract requires.
func (d *Dataplane) Apply(ctx context.Context, ch *table.Changes) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	for _, r := range ch.Removed {
		d.remove(r.Key)
	}
	var errs []error
	upsert := func(r *table.Route) {
		if err := d.upsert(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Key, err))
		}
	}
	for _, c := range ch.Changed {
		upsert(c.New)
	}
	for _, r := range ch.Added {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		upsert(r)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", dataplane.ErrPartial, errors.Join(errs...))
	}
	return nil
}

func (d *Dataplane) upsert(r *table.Route) error {
	rt := d.routes[r.Key]
	if rt == nil {
		rt = newRoute(d, r.Key)
		d.routes[r.Key] = rt
	}
	return rt.update(r)
}

func (d *Dataplane) remove(k table.PortKey) {
	rt := d.routes[k]
	if rt == nil {
		return
	}
	rt.close()
	delete(d.routes, k)
}

// RouteStatus reports where a route listens and why it is not carried.
func (d *Dataplane) RouteStatus(k table.PortKey) dataplane.RouteStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	rt := d.routes[k]
	if rt == nil {
		return dataplane.RouteStatus{}
	}
	return rt.status()
}

// Close closes every listener and connection and waits for the relays.
func (d *Dataplane) Close() error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		d.cancel()
		for k := range d.routes {
			d.remove(k)
		}
	}
	d.mu.Unlock()
	d.wg.Wait()
	return nil
}

// claimPort gives the service port to k if no other route holds it.
func (d *Dataplane) claimPort(c claim, k table.PortKey) bool {
	if owner, ok := d.claims[c]; ok && owner != k {
		return false
	}
	d.claims[c] = k
	return true
}

func (d *Dataplane) releasePort(c claim, k table.PortKey) {
	if d.claims[c] == k {
		delete(d.claims, c)
	}
}

// acquireConn takes one of MaxConns.
func (d *Dataplane) acquireConn() bool {
	if d.tcpConns.Add(1) > int64(d.cfg.MaxConns) {
		d.tcpConns.Add(-1)
		return false
	}
	return true
}

func (d *Dataplane) releaseConn() { d.tcpConns.Add(-1) }

// acquireSession takes one of MaxUDPSessions.
func (d *Dataplane) acquireSession() bool {
	if d.udpSessions.Add(1) > int64(d.cfg.MaxUDPSessions) {
		d.udpSessions.Add(-1)
		return false
	}
	d.m.udpSessions.Inc()
	return true
}

func (d *Dataplane) releaseSession() {
	d.udpSessions.Add(-1)
	d.m.udpSessions.Dec()
}

// goRelay runs f on a goroutine that Close waits for.
func (d *Dataplane) goRelay(f func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		f()
	}()
}
