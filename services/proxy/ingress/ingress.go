package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"go.uber.org/zap"
)

// Deps are the controller's collaborators.
type Deps struct {
	// Client lists and watches Ingresses and TLS Secrets (required).
	Client informer.ListWatcher
	// View is the proxy's routing table (required).
	View View
	// PageSize is the informers' list page size (0: the default).
	PageSize int64
}

// Controller serves the Ingresses of its class on a node.
type Controller struct {
	cfg       Config
	log       *zap.Logger
	view      View
	ingresses *informer.Informer
	secrets   *informer.Informer
	certs     *certCache
	routes    atomic.Pointer[Routes]
	dirty     chan struct{}

	httpLn, httpsLn net.Listener
	servers         []*http.Server
}

// New prepares a controller; Listen binds its ports and Run serves.
func New(cfg Config, deps Deps, log *zap.Logger) (*Controller, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if deps.Client == nil || deps.View == nil {
		return nil, fmt.Errorf("%w: Deps.Client and Deps.View are required", ErrConfig)
	}
	if log == nil {
		log = zap.NewNop()
	}
	c := &Controller{cfg: cfg, log: log, view: deps.View, dirty: make(chan struct{}, 1)}
	var err error
	if c.ingresses, err = c.informer(deps, apimeta.KindIngress, ""); err != nil {
		return nil, err
	}
	// Only TLS Secrets: the controller never holds the cluster's other
	// secrets.
	if c.secrets, err = c.informer(deps, apimeta.KindSecret, "type="+SecretTypeTLS); err != nil {
		return nil, err
	}
	c.certs = newCertCache(func(ns, name string) (*gantryv1.Secret, bool) {
		o, ok := c.secrets.Store().Get(ns, name)
		if !ok || o.GetSecret().GetType() != SecretTypeTLS {
			return nil, false
		}
		return o.GetSecret(), true
	})
	return c, nil
}

func (c *Controller) informer(deps Deps, kind, fields string) (*informer.Informer, error) {
	ic := informer.DefaultConfig()
	ic.Kind, ic.FieldSelector = kind, fields
	if deps.PageSize > 0 {
		ic.PageSize = deps.PageSize
	}
	inf, err := informer.New(deps.Client, ic, c.log)
	if err != nil {
		return nil, err
	}
	mark := func(*gantryv1.Object) { c.markDirty() }
	if err := inf.AddEventHandler(informer.Handler{OnAdd: mark, OnDelete: mark,
		OnUpdate: func(_, _ *gantryv1.Object) { c.markDirty() }}); err != nil {
		return nil, err
	}
	return inf, nil
}

func (c *Controller) markDirty() {
	select {
	case c.dirty <- struct{}{}:
	default:
	}
}

// Routes returns the current snapshot (nil before the caches synced).
func (c *Controller) Routes() *Routes { return c.routes.Load() }

// Listen binds the listeners (Run calls it when it was not called), so
// that a taken port fails at once.
func (c *Controller) Listen() error {
	if c.httpLn != nil || c.httpsLn != nil {
		return nil
	}
	var err error
	if c.cfg.HTTPListen != "" {
		if c.httpLn, err = listen(c.cfg.HTTPListen, c.cfg.MaxConns); err != nil {
			return fmt.Errorf("ingress: listen on %s: %w", c.cfg.HTTPListen, err)
		}
	}
	if c.cfg.HTTPSListen != "" {
		if c.httpsLn, err = listen(c.cfg.HTTPSListen, c.cfg.MaxConns); err != nil {
			if c.httpLn != nil {
				_ = c.httpLn.Close()
				c.httpLn = nil
			}
			return fmt.Errorf("ingress: listen on %s: %w", c.cfg.HTTPSListen, err)
		}
	}
	return nil
}

// Addrs returns the bound HTTP and HTTPS addresses ("" when off or not
// bound yet).
func (c *Controller) Addrs() (httpAddr, httpsAddr string) {
	if c.httpLn != nil {
		httpAddr = c.httpLn.Addr().String()
	}
	if c.httpsLn != nil {
		httpsAddr = c.httpsLn.Addr().String()
	}
	return httpAddr, httpsAddr
}

// Class returns the served ingress class.
func (c *Controller) Class() string { return c.cfg.Class }

// Run watches, rebuilds and serves until ctx ends (nil) or an informer or
// a listener fails.
func (c *Controller) Run(ctx context.Context) error {
	if err := c.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for _, inf := range []*informer.Informer{c.ingresses, c.secrets} {
		wg.Go(func() {
			if err := inf.Run(ctx); err != nil {
				errc <- fmt.Errorf("ingress: informer: %w", err)
			}
		})
	}
	wg.Go(func() { c.rebuildLoop(ctx) })
	h := NewHandler(c.cfg, c.Routes, c.view, c.log)
	if c.httpLn != nil {
		c.serve(&wg, h, c.httpLn, nil, errc)
	}
	if c.httpsLn != nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.getCertificate}
		c.serve(&wg, h, c.httpsLn, tc, errc)
	}
	httpAddr, httpsAddr := c.Addrs()
	c.log.Info("ingress serving", zap.String("class", c.cfg.Class), zap.String("http", httpAddr), zap.String("https", httpsAddr))
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		c.log.Error("ingress stopping", zap.Error(err))
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	for _, s := range c.servers {
		if s.Shutdown(sctx) != nil {
			_ = s.Close()
		}
	}
	scancel()
	wg.Wait()
	return err
}

func (c *Controller) serve(wg *sync.WaitGroup, h http.Handler, ln net.Listener, tc *tls.Config, errc chan<- error) {
	s := &http.Server{
		Handler: h, TLSConfig: tc,
		ReadHeaderTimeout: c.cfg.ReadHeaderTimeout, ReadTimeout: c.cfg.ReadTimeout,
		WriteTimeout: c.cfg.WriteTimeout, IdleTimeout: c.cfg.IdleTimeout, MaxHeaderBytes: c.cfg.MaxHeaderBytes,
		ErrorLog: stdLog(c.log),
	}
	c.servers = append(c.servers, s)
	wg.Go(func() {
		var err error
		if tc != nil {
			err = s.ServeTLS(ln, "", "")
		} else {
			err = s.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("ingress: serve %s: %w", ln.Addr(), err)
		}
	})
}

// getCertificate picks the certificate by SNI from the latest snapshot,
// so a changed Secret serves its new certificate from the next handshake.
func (c *Controller) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if cert := c.Routes().Certificate(hello.ServerName); cert != nil {
		return cert, nil
	}
	return nil, fmt.Errorf("ingress: no certificate for server name %q", hello.ServerName)
}

// rebuildLoop builds a snapshot once both caches synced, then after every
// burst of changes.
func (c *Controller) rebuildLoop(ctx context.Context) {
	for _, inf := range []*informer.Informer{c.ingresses, c.secrets} {
		if err := inf.WaitForSync(ctx); err != nil {
			return
		}
	}
	c.rebuild()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.dirty:
			c.rebuild()
		}
	}
}

func (c *Controller) rebuild() {
	objs := c.ingresses.Store().List()
	ings := make([]*gantryv1.Ingress, 0, len(objs))
	for _, o := range objs {
		if ing := o.GetIngress(); ing != nil {
			ings = append(ings, ing)
		}
	}
	c.certs.begin()
	rs := Build(Input{Ingresses: ings, Class: c.cfg.Class, Certificate: c.certs.load})
	first := c.routes.Swap(rs) == nil
	for _, ct := range rs.Certs() {
		if ct.Err != nil {
			c.log.Debug("ingress tls entry not served", zap.Stringer("ingress", ct.Ingress), zap.Error(ct.Err))
		}
	}
	if first {
		c.log.Info("ingress routes loaded", zap.Int("rules", len(rs.Rules())), zap.Int("certificates", len(rs.Certs())))
	}
}
