package userspace

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/gantryio/gantry/services/proxy/table"
)

// maxPickAttempts bounds the tries at a kernel-picked port that another
// socket takes between the pick and the bind.
const maxPickAttempts = 10

// socket is a bound TCP listener or UDP socket.
type socket struct {
	tcp  *net.TCPListener
	udp  *net.UDPConn
	addr netip.AddrPort
}

func (s socket) close() {
	if s.tcp != nil {
		_ = s.tcp.Close()
	}
	if s.udp != nil {
		_ = s.udp.Close()
	}
}

// bind binds ip:port for proto (port 0 is not allowed: see bindAny).
func bind(proto table.Protocol, ip netip.Addr, port uint16, reuse bool) (socket, error) {
	lc := net.ListenConfig{}
	if reuse {
		lc.Control = reusePort
	}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))
	switch proto {
	case table.TCP:
		ln, err := lc.Listen(context.Background(), "tcp", addr)
		if err != nil {
			return socket{}, err
		}
		return socket{tcp: ln.(*net.TCPListener), addr: netip.AddrPortFrom(ip, port)}, nil
	case table.UDP:
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			return socket{}, err
		}
		return socket{udp: pc.(*net.UDPConn), addr: netip.AddrPortFrom(ip, port)}, nil
	}
	return socket{}, fmt.Errorf("userspace mode does not carry %s", proto)
}

// bindAny binds a port the kernel picks, then binds it again explicitly:
// only an explicitly bound listener keeps its port while paused.
func bindAny(proto table.Protocol, ip netip.Addr) (socket, error) {
	var last error
	for i := 0; i < maxPickAttempts; i++ {
		port, err := pickPort(proto, ip)
		if err != nil {
			return socket{}, err
		}
		s, err := bind(proto, ip, port, false)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return socket{}, fmt.Errorf("no free port on %s after %d picks: %w", ip, maxPickAttempts, last)
}

func pickPort(proto table.Protocol, ip netip.Addr) (uint16, error) {
	addr := net.JoinHostPort(ip.String(), "0")
	if proto == table.UDP {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, err
		}
		defer pc.Close()
		return uint16(pc.LocalAddr().(*net.UDPAddr).Port), nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port), nil
}
