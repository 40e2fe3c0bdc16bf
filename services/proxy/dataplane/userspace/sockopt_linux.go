//go:build linux

package userspace

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort sets SO_REUSEPORT on a socket before it binds.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}

// pauseListener stops a listener from listening while it keeps its port:
// shutdown(SHUT_RD) on a listening socket disconnects it (Linux), the
// queued connections are reset and new ones refused by the kernel. The
// port stays bound because it was bound explicitly (a socket bound to
// port 0 would lose it).
func pauseListener(ln *net.TCPListener) error {
	return control(ln, func(fd int) error { return unix.Shutdown(fd, unix.SHUT_RD) })
}

// resumeListener makes a paused listener listen again.
func resumeListener(ln *net.TCPListener) error {
	return control(ln, func(fd int) error { return unix.Listen(fd, listenBacklog) })
}

// listenBacklog is the backlog asked for on resume; the kernel caps it at
// net.core.somaxconn, as it does Go's own.
const listenBacklog = 4096

func control(ln *net.TCPListener, f func(fd int) error) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
