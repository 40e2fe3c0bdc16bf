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
	latest     atomic.Pointer[table.Table]
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
	errc := make(chan error, 4)
	if err := p.serve(errc); err != nil {
		return err
	}
	defer p.shutdown()
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

// Table returns the latest routing table built (nil before the first
// sync). It is immutable and shared: cluster DNS and ingress read it.
func (p *Proxy) Table() *table.Table { return p.latest.Load() }

// Dataplane returns the proxy's dataplane.
func (p *Proxy) Dataplane() dataplane.Dataplane { return p.dp }
