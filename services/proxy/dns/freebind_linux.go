//go:build linux

package dns

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// freeBind sets IP_FREEBIND (IPV6_FREEBIND) on a socket before it binds,
// so that it may bind an address the host does not have yet.
var freeBind = func(network, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		if network == "udp6" || network == "tcp6" {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_FREEBIND, 1)
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_FREEBIND, 1)
	}); err != nil {
		return err
	}
	return serr
}
