package userspace

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Reasons a datagram is dropped, for the dropped counter.
const (
	dropNoTargets  = "no_targets"
	dropOverLimit  = "over_limit"
	dropDialFailed = "dial_failed"
)

// udpFrontend relays a route's datagrams through per-client sessions.
type udpFrontend struct {
	rt *route
	pc *net.UDPConn
	a  netip.AddrPort

	mu       sync.Mutex
	sessions map[netip.AddrPort]*udpSession
	closed   bool
	done     chan struct{}
}

func newUDPFrontend(rt *route, s socket) *udpFrontend {
	f := &udpFrontend{rt: rt, pc: s.udp, a: s.addr, sessions: map[netip.AddrPort]*udpSession{}, done: make(chan struct{})}
	rt.d.goRelay(f.readLoop)
	return f
}

func (f *udpFrontend) addr() netip.AddrPort { return f.a }

// setServing does nothing: without targets, new clients' datagrams are
// dropped (and sessions to targets that left are already closed).
func (f *udpFrontend) setServing(bool) {}

func (f *udpFrontend) close() {
	f.mu.Lock()
	f.closed = true
	ss := make([]*udpSession, 0, len(f.sessions))
	for _, s := range f.sessions {
		ss = append(ss, s)
	}
	f.mu.Unlock()
	_ = f.pc.Close()
	<-f.done
	for _, s := range ss {
		s.close()
	}
}

func (f *udpFrontend) readLoop() {
	defer close(f.done)
	d := f.rt.d
	buf := make([]byte, d.cfg.MaxDatagram)
	for {
		n, client, err := f.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			d.log.Debug("udp read", zap.Stringer("addr", f.a), zap.Error(err))
			continue
		}
		s := f.session(client)
		if s == nil {
			continue
		}
		s.touch()
		if _, err := s.conn.Write(buf[:n]); err != nil {
			// Refused by the target (ICMP): end the session so the
			// client's next datagram picks another target.
			s.close()
		}
	}
}

// session returns the client's session, opening one on a target if it has
// none (nil when the datagram must be dropped).
func (f *udpFrontend) session(client netip.AddrPort) *udpSession {
	f.mu.Lock()
	s := f.sessions[client]
	f.mu.Unlock()
	if s != nil {
		return s
	}
	d := f.rt.d
	order := f.rt.bal.order()
	if len(order) == 0 {
		d.m.udpDropped.WithLabelValues(dropNoTargets).Inc()
		return nil
	}
	if !d.acquireSession() {
		d.m.udpDropped.WithLabelValues(dropOverLimit).Inc()
		return nil
	}
	for i, t := range order {
		if i == maxDialAttempts {
			break
		}
		conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(t))
		if err != nil {
			d.m.dialErrors.Inc()
			continue
		}
		s = &udpSession{f: f, client: client, target: t, conn: conn}
		if !f.rt.track(t, s) {
			_ = conn.Close()
			break
		}
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			f.rt.untrack(t, s)
			_ = conn.Close()
			break
		}
		f.sessions[client] = s
		f.mu.Unlock()
		s.touch()
		d.goRelay(s.replyLoop)
		return s
	}
	d.releaseSession()
	d.m.udpDropped.WithLabelValues(dropDialFailed).Inc()
	return nil
}

// udpSession relays one client's datagrams to one target and back.
type udpSession struct {
	f      *udpFrontend
	client netip.AddrPort
	target netip.AddrPort
	conn   *net.UDPConn
	last   atomic.Int64 // unix nanos of the last datagram either way
	once   sync.Once
}

func (s *udpSession) touch() { s.last.Store(time.Now().UnixNano()) }

func (s *udpSession) close() { s.once.Do(func() { _ = s.conn.Close() }) }

// replyLoop carries the target's replies to the client until the session
// idles out, is refused or closed; then it cleans the session up.
func (s *udpSession) replyLoop() {
	d := s.f.rt.d
	idle := d.cfg.UDPIdleTimeout
	defer func() {
		s.close()
		s.f.mu.Lock()
		if s.f.sessions[s.client] == s {
			delete(s.f.sessions, s.client)
		}
		s.f.mu.Unlock()
		s.f.rt.untrack(s.target, s)
		d.releaseSession()
	}()
	buf := make([]byte, d.cfg.MaxDatagram)
	for {
		deadline := time.Unix(0, s.last.Load()).Add(idle)
		if !time.Now().Before(deadline) {
			return
		}
		_ = s.conn.SetReadDeadline(deadline)
		n, err := s.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // the loop checks whether the client kept it busy
			}
			return
		}
		s.touch()
		if _, err := s.f.pc.WriteToUDPAddrPort(buf[:n], s.client); err != nil && errors.Is(err, net.ErrClosed) {
			return
		}
	}
}
