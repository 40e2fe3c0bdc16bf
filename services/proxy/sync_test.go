package proxy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/client/clienttest"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap/zaptest"
)

// fakeDataplane records what it is asked to apply and fails on request.
type fakeDataplane struct {
	mu      sync.Mutex
	applies []*table.Changes
	fail    int // the next fail applies fail
	closed  bool
}

func (f *fakeDataplane) Apply(_ context.Context, ch *table.Changes) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applies = append(f.applies, ch)
	if f.fail > 0 {
		f.fail--
		return errors.New("injected failure")
	}
	return nil
}

func (f *fakeDataplane) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fakeDataplane) calls() []*table.Changes {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*table.Changes(nil), f.applies...)
}

// startFake runs a proxy over a fake store and dataplane.
func startFake(t *testing.T, store *clienttest.Store, dp *fakeDataplane, mutate func(*Config)) *Proxy {
	t.Helper()
	srv := clienttest.Start(t, store)
	ccfg := client.DefaultConfig()
	ccfg.Servers = []string{srv.Addr()}
	c, err := client.New(ccfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	cfg := DefaultConfig()
	cfg.NodeName, cfg.Listen, cfg.HTTPListen = "n1", "127.0.0.1:0", ""
	cfg.RetryBackoff = client.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Multiplier: 2}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg, Deps{Client: c, Dataplane: dp}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		if !dp.closed {
			t.Error("the dataplane was not closed")
		}
	})
	return p
}

func storeService(t *testing.T, s *clienttest.Store, name string) {
	t.Helper()
	_, err := s.Create(apimeta.Wrap(&gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		Spec:     &gantryv1.ServiceSpec{ClusterIp: "10.96.0.1", Ports: []*gantryv1.ServicePort{{Port: 80}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
}

func TestSyncRetriesFromTheLastAcceptedTable(t *testing.T) {
	store := clienttest.NewStore()
	storeService(t, store, "a")
	dp := &fakeDataplane{fail: 2}
	p := startFake(t, store, dp, nil)
	testutil.Eventually(t, 10*time.Second, func() error {
		if !p.synced.Load() {
			return errors.New("not synced")
		}
		return nil
	})
	calls := dp.calls()
	if len(calls) != 3 {
		t.Fatalf("%d applies, want 3 (two failures, one success)", len(calls))
	}
	for i, ch := range calls {
		if ch.Old != nil || len(ch.Added) != 1 {
			t.Fatalf("apply %d: old %v, added %d; want every retry from the empty table", i, ch.Old, len(ch.Added))
		}
	}
	if p.syncErrors.Load() != 2 || p.lastErr.Load() != nil {
		t.Fatalf("sync errors %d, last error %v; want 2 and cleared", p.syncErrors.Load(), p.lastErr.Load())
	}
	// The next change is diffed from what the dataplane accepted.
	storeService(t, store, "b")
	testutil.Eventually(t, 10*time.Second, func() error {
		calls := dp.calls()
		last := calls[len(calls)-1]
		if len(calls) != 4 || last.Old != calls[2].New || len(last.Added) != 1 || last.Added[0].Key.Name != "b" {
			return fmt.Errorf("%d applies", len(calls))
		}
		return nil
	})
}

func TestSyncCoalescesBursts(t *testing.T) {
	store := clienttest.NewStore()
	dp := &fakeDataplane{}
	const period = 500 * time.Millisecond
	p := startFake(t, store, dp, func(c *Config) { c.MinSyncPeriod = period })
	testutil.Eventually(t, 10*time.Second, func() error {
		if !p.synced.Load() {
			return errors.New("not synced")
		}
		return nil
	})
	start := time.Now()
	const n = 50
	for i := 0; i < n; i++ {
		storeService(t, store, fmt.Sprintf("s%d", i))
	}
	// Wait for the dataplane to have been given every route (the table is
	// published before the apply is recorded, so Table() alone races).
	added := func() int {
		a := 0
		for _, ch := range dp.calls() {
			a += len(ch.Added)
		}
		return a
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if got := added(); got != n {
			return fmt.Errorf("%d routes added", got)
		}
		return nil
	})
	elapsed := time.Since(start)
	// The first apply (empty table) plus at most one per period started.
	limit := 1 + int(elapsed/period) + 1
	if got := len(dp.calls()); got > limit {
		t.Fatalf("%d applies for %d events in %s, want at most %d", got, n, elapsed, limit)
	}
	if p.Table().Len() != n {
		t.Fatalf("table has %d routes, want %d", p.Table().Len(), n)
	}
}
