package watch

import (
	"context"
	"errors"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// A watch whose caller's deadline passes ends with that deadline, never
// as a clean end of stream: otherwise the gRPC status the client sees
// (OK or DEADLINE_EXCEEDED) depends on whose timer fires first.
func TestServeReportsTheCallersDeadline(t *testing.T) {
	st := newStore()
	kind, _ := apimeta.Lookup(apimeta.KindConfigMap)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := New(DefaultConfig(), st, caughtUp{}).Serve(ctx, &gantryv1.WatchRequest{AllowBookmarks: true}, &Filter{Kind: kind}, &sink{ctx: ctx})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Serve after the deadline = %v, want context.DeadlineExceeded", err)
	}
}

// A watch the caller cancels still ends cleanly.
func TestServeEndsCleanlyWhenCancelled(t *testing.T) {
	st := newStore()
	kind, _ := apimeta.Lookup(apimeta.KindConfigMap)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- New(DefaultConfig(), st, caughtUp{}).Serve(ctx, &gantryv1.WatchRequest{}, &Filter{Kind: kind}, &sink{ctx: ctx})
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel = %v, want nil", err)
	}
}
