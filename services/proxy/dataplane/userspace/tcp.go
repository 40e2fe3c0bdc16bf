package userspace

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"
)

// maxDialAttempts bounds the targets one connection tries.
const maxDialAttempts = 4

// tcpFrontend accepts a route's connections on one listener.
type tcpFrontend struct {
	rt *route
	ln *net.TCPListener
	a  netip.AddrPort

	mu      sync.Mutex
	paused  bool
	resumed chan struct{} // closed when a pause ends
	stop    chan struct{} // closed by close
	done    chan struct{} // closed when the accept loop ends
}

func newTCPFrontend(rt *route, s socket) *tcpFrontend {
	f := &tcpFrontend{rt: rt, ln: s.tcp, a: s.addr, resumed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	close(f.resumed)
	rt.d.goRelay(f.acceptLoop)
	return f
}

func (f *tcpFrontend) addr() netip.AddrPort { return f.a }

// setServing pauses the listener when the route has no targets, so the
// kernel refuses connections; where pausing is unsupported, connections
// are accepted and reset by relay instead.
func (f *tcpFrontend) setServing(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !on && !f.paused:
		if err := pauseListener(f.ln); err != nil {
			f.rt.d.log.Debug("cannot pause listener, resetting connections instead", zap.Stringer("addr", f.a), zap.Error(err))
			return
		}
		f.paused, f.resumed = true, make(chan struct{})
	case on && f.paused:
		if err := resumeListener(f.ln); err != nil {
			// The socket is unusable; the route reports no listener
			// change, so say so loudly.
			f.rt.d.log.Error("cannot resume listener", zap.Stringer("addr", f.a), zap.Error(err))
			return
		}
		f.paused = false
		close(f.resumed)
	}
}

func (f *tcpFrontend) close() {
	f.mu.Lock()
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	f.mu.Unlock()
	_ = f.ln.Close()
	<-f.done
}

func (f *tcpFrontend) acceptLoop() {
	defer close(f.done)
	delay := 5 * time.Millisecond
	for {
		c, err := f.ln.AcceptTCP()
		if err == nil {
			delay = 5 * time.Millisecond
			f.rt.d.goRelay(func() { f.rt.relayTCP(c) })
			continue
		}
		f.mu.Lock()
		paused, resumed := f.paused, f.resumed
		f.mu.Unlock()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if paused {
			// Accept fails on a shut-down socket until it listens again.
			select {
			case <-resumed:
				continue
			case <-f.stop:
				return
			}
		}
		// Out of file descriptors and the like: back off, do not spin.
		f.rt.d.log.Warn("accept failed", zap.Stringer("addr", f.a), zap.Error(err))
		select {
		case <-time.After(delay):
		case <-f.stop:
			return
		}
		delay = min(2*delay, time.Second)
	}
}

// tcpConn is one relayed connection.
type tcpConn struct {
	client, backend *net.TCPConn
	once            sync.Once
}

func (c *tcpConn) close() {
	c.once.Do(func() {
		reset(c.client)
		_ = c.backend.Close()
	})
}

// reset closes c with an RST rather than a FIN, so the client sees at once
// that the connection failed.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

// relayTCP carries one accepted connection to a target.
func (rt *route) relayTCP(client *net.TCPConn) {
	d := rt.d
	if !d.acquireConn() {
		d.m.conns.WithLabelValues(resultOverLimit).Inc()
		reset(client)
		return
	}
	defer d.releaseConn()
	order := rt.bal.order()
	if len(order) == 0 {
		d.m.conns.WithLabelValues(resultNoTargets).Inc()
		reset(client)
		return
	}
	backend, target := rt.dial(order)
	if backend == nil {
		d.m.conns.WithLabelValues(resultDialFailed).Inc()
		reset(client)
		return
	}
	c := &tcpConn{client: client, backend: backend}
	if !rt.track(target, c) {
		d.m.conns.WithLabelValues(resultRouteClosed).Inc()
		c.close()
		return
	}
	defer rt.untrack(target, c)
	d.m.conns.WithLabelValues(resultOK).Inc()
	d.m.active.Inc()
	defer d.m.active.Dec()
	rt.splice(c)
}

// dial tries the targets in order until one answers.
func (rt *route) dial(order []netip.AddrPort) (*net.TCPConn, netip.AddrPort) {
	d := rt.d
	for i, t := range order {
		if i == maxDialAttempts || d.ctx.Err() != nil {
			break
		}
		c, err := d.dialer.DialContext(d.ctx, "tcp", t.String())
		if err == nil {
			return c.(*net.TCPConn), t
		}
		d.m.dialErrors.Inc()
		d.log.Debug("dial failed, trying the next target", zap.Stringer("route", rt.key), zap.Stringer("target", t), zap.Error(err))
	}
	return nil, netip.AddrPort{}
}

// splice copies both ways until both are done. A clean end of one
// direction is passed on as a half-close; an error ends both.
func (rt *route) splice(c *tcpConn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rt.copyHalf(c, c.backend, c.client)
	}()
	rt.copyHalf(c, c.client, c.backend)
	wg.Wait()
	_ = c.client.Close()
	_ = c.backend.Close()
}

func (rt *route) copyHalf(c *tcpConn, dst, src *net.TCPConn) {
	bp := rt.d.bufs.Get().(*[]byte)
	_, err := io.CopyBuffer(dst, src, *bp)
	rt.d.bufs.Put(bp)
	if err != nil {
		c.close()
		return
	}
	_ = dst.CloseWrite()
}
