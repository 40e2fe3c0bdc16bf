package testutil

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	portMu    sync.Mutex
	handedOut = map[string]bool{}
)

// FreeAddr returns a loopback address with a port that was free a moment
// ago and that no earlier call in this process returned. Ports come from
// below the kernel's ephemeral range when it leaves room: between the
// check and the bind, a port from ":0" can be taken by any outgoing
// connection on the machine (other tests' clients included), a port
// below the range only by another listener.
func FreeAddr(t testing.TB) string {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	lo, hi := listenPortRange()
	for attempt := 0; attempt < 200 && hi > lo; attempt++ {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(lo+rand.IntN(hi-lo)))
		if handedOut[addr] {
			continue
		}
		if l, err := net.Listen("tcp", addr); err == nil {
			_ = l.Close()
			handedOut[addr] = true
			return addr
		}
	}
	for attempt := 0; attempt < 100; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		if !handedOut[addr] {
			handedOut[addr] = true
			return addr
		}
	}
	t.Fatalf("find a free port: every port the kernel offered was handed out already")
	return ""
}

// listenPortRange returns [lo, hi): ports below the ephemeral range, or an
// empty range when that is too small to pick from at random.
func listenPortRange() (lo, hi int) {
	const floor = 10000
	hi = 32768 // Linux's default ephemeral low bound
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				hi = n
			}
		}
	}
	if hi-floor < 1000 {
		return 0, 0
	}
	return floor, hi
}
