//go:build !linux

package ingress

import "syscall"

// reusePort is a no-op: without it, only one proxy per host can serve an
// ingress port, and the others report the bind error.
func reusePort(_, _ string, _ syscall.RawConn) error { return nil }
