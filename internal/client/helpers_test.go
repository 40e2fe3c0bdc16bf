package client

import (
	"context"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"go.uber.org/zap/zaptest"
)

func pod(ns, name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: ns, Name: name}})
}

func fastBackoff() Backoff {
	return Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2, Jitter: 0.2}
}

func testConfig(addrs ...string) Config {
	cfg := DefaultConfig()
	cfg.Servers = addrs
	cfg.RetryBackoff = fastBackoff()
	cfg.RequestTimeout = 5 * time.Second
	return cfg
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
