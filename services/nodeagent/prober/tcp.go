package prober

import (
	"context"
	"fmt"
	"net"
	"time"
)

// checkTCP succeeds when a TCP connection to addr opens.
func checkTCP(ctx context.Context, addr string, timeout time.Duration) (result, string, error) {
	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return failure, fmt.Sprintf("dial tcp %s: %v", addr, err), nil
	}
	_ = conn.Close()
	return success, "", nil
}
