package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/dns"
	"github.com/gantryio/gantry/services/proxy/ingress"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// Proxy is one node's service proxy.
type Proxy struct {
	cfg      Config
	mode     string
	log      *zap.Logger
	api      informer.ListWatcher
	metrics  *metrics
	dp       dataplane.Dataplane
	services *informer.Informer
	slices   *informer.Informer
	dns      *dns.Server         // nil: no cluster DNS
	ingress  *ingress.Controller // nil: no ingress

	grpc   *grpc.Server
	health *health.Server
	http   *http.Server
	lis    net.Listener

	// dirty is signalled by informer handlers; the sync loop drains it.
	dirty chan struct{}
	// pendingSince is when the oldest event not yet carried arrived.
	pendingMu    sync.Mutex
	pendingSince time.Time

	// applied is what the dataplane carries; latest is the last table
	// built (the same unless the last apply failed).
	applied    atomic.Pointer[snapshot]
	latest     atomic.Pointer[published]
	synced     atomic.Bool
	syncs      atomic.Int64
	syncErrors atomic.Int64
	lastErr    atomic.Pointer[string]
}

// snapshot is a table the dataplane accepted.
type snapshot struct {
	table      *table.Table
	generation int64
	at         time.Time
}

// New prepares a proxy; Run starts it. It creates the dataplane (which
// carries nothing until the first sync).
func New(cfg Config, deps Deps, log *zap.Logger) (*Proxy, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if deps.Client == nil {
		return nil, fmt.Errorf("%w: Deps.Client is required", ErrConfig)
	}
	if log == nil {
		log = zap.NewNop()
	}
	p := &Proxy{cfg: cfg, log: log.Named("proxy"), api: deps.Client, dirty: make(chan struct{}, 1)}
	p.latest.Store(&published{next: make(chan struct{})})
	p.metrics = newMetrics(p)
	p.dp = deps.Dataplane
	p.mode = "custom"
	if p.dp == nil {
		m, err := resolveMode(cfg.Mode)
		if err != nil {
			return nil, err
		}
		if p.dp, err = m.new(cfg, p.metrics.reg, p.log.Named(m.name)); err != nil {
			return nil, fmt.Errorf("proxy: %s dataplane: %w", m.name, err)
		}
		p.mode = m.name
	}
	var err error
	if p.services, err = p.informer(apimeta.KindService); err != nil {
		return nil, err
	}
	if p.slices, err = p.informer(apimeta.KindEndpointSlice); err != nil {
		return nil, err
	}
	if err := p.newDNS(); err != nil {
		return nil, err
	}
	if err := p.newIngress(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Proxy) informer(kind string) (*informer.Informer, error) {
	ic := informer.DefaultConfig()
	ic.Kind, ic.PageSize = kind, p.cfg.PageSize
	inf, err := informer.New(p.api, ic, p.log)
	if err != nil {
		return nil, err
	}
	mark := func(*gantryv1.Object) { p.markDirty() }
	if err := inf.AddEventHandler(informer.Handler{OnAdd: mark, OnDelete: mark,
		OnUpdate: func(_, _ *gantryv1.Object) { p.markDirty() }}); err != nil {
		return nil, err
	}
	return inf, nil
}

// Run serves and syncs until ctx ends (nil) or an informer fails for good.
// It closes the dataplane before it returns.
func (p *Proxy) Run(ctx context.Context) error {
	defer func() {
		if err := p.dp.Close(); err != nil {
			p.log.Warn("closing the dataplane", zap.Error(err))
		}
	}()
	if err := p.listen(); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 5)
	if err := p.serve(errc); err != nil {
		return err
	}
	defer p.shutdown()
	if p.dns != nil {
		// Bound here, not in the DNS server's goroutine: a taken address
		// fails Run at once.
		if err := p.dns.Listen(); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
	}
	if p.ingress != nil {
		if err := p.ingress.Listen(); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for _, inf := range []*informer.Informer{p.services, p.slices} {
		wg.Go(func() {
			if err := inf.Run(rctx); err != nil {
				errc <- fmt.Errorf("proxy: informer: %w", err)
			}
		})
	}
	wg.Go(func() { p.syncLoop(rctx) })
	if p.dns != nil {
		wg.Go(func() {
			if err := p.dns.Run(rctx); err != nil {
				errc <- fmt.Errorf("proxy: %w", err)
			}
		})
	}
	if p.ingress != nil {
		wg.Go(func() {
			if err := p.ingress.Run(rctx); err != nil {
				errc <- fmt.Errorf("proxy: %w", err)
			}
		})
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		p.log.Error("proxy stopping", zap.Error(err))
	}
	return err
}

// Addr returns the gRPC address (after Run has bound it).
func (p *Proxy) Addr() string {
	if p.lis == nil {
		return p.cfg.Listen
	}
	return p.lis.Addr().String()
}

// Mode returns the dataplane's mode.
func (p *Proxy) Mode() string { return p.mode }

// published is the latest table built and the channel closed when a newer
// one replaces it.
type published struct {
	table *table.Table
	next  chan struct{}
}

// publish makes t the latest table and wakes Watch callers.
func (p *Proxy) publish(t *table.Table) {
	old := p.latest.Swap(&published{table: t, next: make(chan struct{})})
	close(old.next)
}

// Table returns the latest routing table built (nil before the first
// sync). It is immutable and shared: cluster DNS and ingress read it.
func (p *Proxy) Table() *table.Table { return p.latest.Load().table }

// Watch returns the latest table (nil before the first sync) and a channel
// closed when a newer one is built: node-local consumers (ingress) rebuild
// what they derive from it without polling.
func (p *Proxy) Watch() (*table.Table, <-chan struct{}) {
	l := p.latest.Load()
	return l.table, l.next
}

// Dataplane returns the proxy's dataplane.
func (p *Proxy) Dataplane() dataplane.Dataplane { return p.dp }
