//go:build !linux

package dns

import "syscall"

// freeBind is not available: an address must exist on the host to be
// bound.
var freeBind func(network, address string, c syscall.RawConn) error
