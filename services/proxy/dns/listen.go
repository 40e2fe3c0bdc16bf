package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"go.uber.org/zap"
)

// bind listens on addr over UDP and TCP, on the same port (port 0 picks a
// free one for both). An address not on this host yet (the bridge gets
// its address with the node's first pod) is bound with IP_FREEBIND where
// the system has it, so the server answers as soon as the address exists.
func bind(addr netip.AddrPort, log *zap.Logger) (*listener, error) {
	ln, err := bindWith(addr, nil)
	if err != nil && errors.Is(err, syscall.EADDRNOTAVAIL) && freeBind != nil {
		log.Info("address not on this host yet: bound with IP_FREEBIND, answering once it exists", zap.Stringer("addr", addr))
		ln, err = bindWith(addr, freeBind)
	}
	if err != nil {
		return nil, fmt.Errorf("dns: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// bindTries bounds the attempts to find a port free for both UDP and TCP.
const bindTries = 20

func bindWith(addr netip.AddrPort, control func(string, string, syscall.RawConn) error) (*listener, error) {
	lc := net.ListenConfig{Control: control}
	ctx := context.Background()
	for try := 0; ; try++ {
		pc, err := lc.ListenPacket(ctx, "udp", addr.String())
		if err != nil {
			return nil, err
		}
		port := uint16(pc.LocalAddr().(*net.UDPAddr).Port)
		bound := netip.AddrPortFrom(addr.Addr(), port)
		tl, err := lc.Listen(ctx, "tcp", bound.String())
		if err == nil {
			return &listener{addr: bound, udp: pc, tcp: tl}, nil
		}
		_ = pc.Close()
		if addr.Port() != 0 || try+1 >= bindTries {
			return nil, err
		}
	}
}

// limitListener accepts at most n connections at a time: Accept waits
// while n are open, leaving further clients in the kernel's backlog.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
