package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Deps are the server's collaborators.
type Deps struct {
	// View is answered from (required).
	View View
	// Resolve turns a listen host that is not an IP literal into the
	// address to listen on, with the subnet of the clients it serves (the
	// proxy resolves "bridge" to the first address of the node's pod CIDR).
	// It may wait, until ctx ends; the other addresses serve meanwhile.
	Resolve func(ctx context.Context, host string) (netip.Prefix, error)
	// Registerer, when set, receives the server's metrics.
	Registerer prometheus.Registerer
}

// Server is the cluster DNS server of one node.
type Server struct {
	cfg     Config
	log     *zap.Logger
	ix      *indexCache
	zone    zone
	up      *upstreams
	fwd     *forwarder
	met     *metrics
	resolve func(context.Context, string) (netip.Prefix, error)

	inflight atomic.Int64
	// clients is the allowed source prefixes; it grows when a listen host
	// is resolved.
	clients atomic.Pointer[[]netip.Prefix]

	mu       sync.Mutex
	listened bool
	bound    []*listener
	pending  []string
}

// listener is one address served over UDP and TCP.
type listener struct {
	addr    netip.AddrPort
	udp     net.PacketConn
	tcp     net.Listener
	servers []*mdns.Server
}

// New prepares a server; Listen binds it and Run serves.
func New(cfg Config, deps Deps, log *zap.Logger) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if deps.View == nil {
		return nil, fmt.Errorf("%w: Deps.View is required", ErrConfig)
	}
	if log == nil {
		log = zap.NewNop()
	}
	spec, _ := parseUpstream(cfg.Upstream) // validated
	s := &Server{cfg: cfg, log: log, zone: zone{name: cfg.Zone + ".", ttl: uint32(cfg.TTL / time.Second)},
		ix: &indexCache{view: deps.View, zone: cfg.Zone}, resolve: deps.Resolve}
	s.up = newUpstreams(spec, log)
	s.fwd = newForwarder(cfg, s.up)
	clients := append([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, cfg.Clients...)
	s.clients.Store(&clients)
	for _, l := range cfg.Listen {
		host, _, _ := splitListen(l) // validated
		if _, err := netip.ParseAddr(host); err != nil && s.resolve == nil {
			return nil, fmt.Errorf("%w: listen %q: the host must be an IP address", ErrConfig, l)
		}
	}
	s.met = newMetrics()
	if deps.Registerer != nil {
		if err := s.met.register(deps.Registerer); err != nil {
			return nil, fmt.Errorf("dns: metrics: %w", err)
		}
	}
	return s, nil
}

// Listen binds the listen addresses that are IP literals (the others are
// bound by Run once resolved). Run calls it when it was not called.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listened {
		return nil
	}
	for _, l := range s.cfg.Listen {
		host, port, _ := splitListen(l)
		a, err := netip.ParseAddr(host)
		if err != nil {
			s.pending = append(s.pending, l)
			continue
		}
		ln, err := bind(netip.AddrPortFrom(a, port), s.log)
		if err != nil {
			s.closeLocked()
			return err
		}
		s.addLocked(ln)
	}
	s.listened = true
	return nil
}

func (s *Server) addLocked(ln *listener) {
	s.bound = append(s.bound, ln)
	s.up.exclude(ln.addr)
}

// Addrs returns the addresses bound so far.
func (s *Server) Addrs() []netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]netip.AddrPort, 0, len(s.bound))
	for _, l := range s.bound {
		out = append(out, l.addr)
	}
	return out
}

// Zone returns the zone the server is authoritative for ("cluster.local").
func (s *Server) Zone() string { return s.cfg.Zone }

// Run serves until ctx ends (nil) or a listener fails (its error); it
// closes the listeners before it returns.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	fail := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	s.mu.Lock()
	bound, pending := append([]*listener(nil), s.bound...), s.pending
	s.mu.Unlock()
	defer s.shutdown()
	for _, ln := range bound {
		if err := s.serve(ln, fail); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for _, l := range pending {
		wg.Go(func() {
			if err := s.listenLater(ctx, l, fail); err != nil && ctx.Err() == nil {
				fail(err)
			}
		})
	}
	s.log.Info("cluster DNS serving", zap.String("zone", s.cfg.Zone), zap.Stringers("listen", s.Addrs()),
		zap.Strings("resolving", pending), zap.Bool("forwarding", s.up.enabled()))
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		s.log.Error("cluster DNS stopping", zap.Error(err))
		return err
	}
}

// listenLater resolves a symbolic listen host, binds and serves it.
func (s *Server) listenLater(ctx context.Context, l string, fail func(error)) error {
	host, port, _ := splitListen(l)
	p, err := s.resolve(ctx, host)
	if err != nil {
		return fmt.Errorf("dns: listen %q: %w", l, err)
	}
	ln, err := bind(netip.AddrPortFrom(p.Addr(), port), s.log)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if ctx.Err() != nil {
		s.mu.Unlock()
		ln.close()
		return nil
	}
	s.addLocked(ln)
	s.mu.Unlock()
	if p.Bits() > 0 {
		s.allowClients(p.Masked())
	}
	if err := s.serve(ln, fail); err != nil {
		return err
	}
	s.log.Info("cluster DNS serving", zap.String("host", host), zap.Stringer("listen", ln.addr), zap.Stringer("clients", p.Masked()))
	return nil
}

func (s *Server) allowClients(p netip.Prefix) {
	for {
		old := s.clients.Load()
		next := append(append([]netip.Prefix(nil), *old...), p)
		if s.clients.CompareAndSwap(old, &next) {
			return
		}
	}
}

// clientAllowed reports whether a query from a may be answered.
func (s *Server) clientAllowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range *s.clients.Load() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// serve starts the UDP and TCP servers of ln and waits until both run.
func (s *Server) serve(ln *listener, fail func(error)) error {
	h := mdns.HandlerFunc(s.serveDNS)
	idle := s.cfg.TCPIdleTimeout
	udp := &mdns.Server{PacketConn: ln.udp, Handler: h, UDPSize: 4096}
	tcp := &mdns.Server{Listener: newLimitListener(ln.tcp, s.cfg.MaxTCPConns), Handler: h, MaxTCPQueries: 1000,
		IdleTimeout: func() time.Duration { return idle }, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
	for _, srv := range []*mdns.Server{udp, tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		done := make(chan error, 1)
		go func() { done <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-done:
			return fmt.Errorf("dns: serve %s: %w", ln.addr, err)
		}
		s.mu.Lock()
		ln.servers = append(ln.servers, srv)
		s.mu.Unlock()
		go func() {
			if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
				fail(fmt.Errorf("dns: serve %s: %w", ln.addr, err))
			}
		}()
	}
	return nil
}

// shutdown stops every server and closes every listener.
func (s *Server) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.bound {
		for _, srv := range ln.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = srv.ShutdownContext(ctx)
			cancel()
		}
		ln.servers = nil
	}
	s.closeLocked()
}

func (s *Server) closeLocked() {
	for _, ln := range s.bound {
		ln.close()
	}
	s.bound = nil
}

func (l *listener) close() {
	_ = l.udp.Close()
	_ = l.tcp.Close()
}
