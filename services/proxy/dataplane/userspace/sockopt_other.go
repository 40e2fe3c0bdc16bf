//go:build !linux

package userspace

import (
	"errors"
	"net"
	"syscall"
)

// reusePort is a no-op: without it, proxies sharing a host cannot share a
// node port, and the later ones report the bind error.
func reusePort(_, _ string, _ syscall.RawConn) error { return nil }

// pauseListener is not supported: connections to a route without targets
// are accepted and reset at once instead.
func pauseListener(*net.TCPListener) error { return errors.ErrUnsupported }

func resumeListener(*net.TCPListener) error { return errors.ErrUnsupported }
