package testutil

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RetryAborted runs rmw — read an object, change it, write it back —
// again while it fails with ABORTED (the object changed between the read
// and the write), until timeout passes. Any other error fails the test.
// Tests need it wherever a controller, agent or leader writes the same
// object concurrently: the race is legitimate, and a real client would
// re-read and retry too.
func RetryAborted(t testing.TB, timeout time.Duration, rmw func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := rmw()
		if err == nil {
			return
		}
		if status.Code(err) != codes.Aborted {
			t.Fatalf("read-modify-write: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("read-modify-write still conflicting after %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
