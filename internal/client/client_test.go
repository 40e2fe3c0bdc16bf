package client

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/apistatus"
	"github.com/gantryio/gantry/internal/client/clienttest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var (
	errUnavailable   = status.Error(codes.Unavailable, "injected: master unavailable")
	errNotApplied    = apistatus.WithReason(codes.Unavailable, apistatus.ReasonNotApplied, "injected: no leader")
	errOutcomeUnkown = apistatus.WithReason(codes.Unavailable, apistatus.ReasonOutcomeUnknown, "injected: leadership lost")
)

func faults(err error, n int) []clienttest.Fault {
	f := make([]clienttest.Fault, n)
	for i := range f {
		f[i] = clienttest.Fault{Err: err}
	}
	return f
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(DefaultConfig(), nil); err == nil {
		t.Fatal("New without servers succeeded")
	}
	cfg := testConfig("127.0.0.1:1")
	cfg.MaxRetries = -1
	if _, err := New(cfg, nil); err == nil {
		t.Fatal("New with MaxRetries -1 succeeded")
	}
}

func TestReadRetriesUnavailable(t *testing.T) {
	store := clienttest.NewStore()
	if _, err := store.Create(pod("default", "a")); err != nil {
		t.Fatal(err)
	}
	srv := clienttest.Start(t, store)
	cfg := testConfig(srv.Addr())
	cfg.MaxRetries = 2
	c := newClient(t, cfg)
	ctx := testCtx(t)

	srv.FailNext("Get", faults(errUnavailable, 2)...)
	got, err := c.Get(ctx, apimeta.KindPod, "default", "a")
	if err != nil || apimeta.Meta(got).GetName() != "a" {
		t.Fatalf("Get after 2 UNAVAILABLE = %v, %v; want pod a", got, err)
	}
	if n := srv.Calls("Get"); n != 3 {
		t.Fatalf("server saw %d Gets, want 3 (2 failures + 1 success)", n)
	}

	srv.FailNext("Get", faults(errUnavailable, 3)...)
	if _, err := c.Get(ctx, apimeta.KindPod, "default", "a"); status.Code(err) != codes.Unavailable {
		t.Fatalf("Get with 3 failures and MaxRetries 2: err = %v, want UNAVAILABLE", err)
	}
	if n := srv.Calls("Get"); n != 6 {
		t.Fatalf("server saw %d Gets, want 6 (MaxRetries bounds the attempts to 3)", n)
	}

	if _, err := c.Get(ctx, apimeta.KindPod, "default", "missing"); status.Code(err) != codes.NotFound {
		t.Fatalf("Get missing: err = %v, want NOT_FOUND", err)
	}
	if n := srv.Calls("Get"); n != 7 {
		t.Fatalf("server saw %d Gets, want 7: NOT_FOUND is final", n)
	}
}

func TestWriteRetryRules(t *testing.T) {
	store := clienttest.NewStore()
	srv := clienttest.Start(t, store)
	c := newClient(t, testConfig(srv.Addr()))
	ctx := testCtx(t)

	// NOT_APPLIED is retried until it works.
	srv.FailNext("Create", faults(errNotApplied, 2)...)
	if _, err := c.Create(ctx, pod("default", "a")); err != nil {
		t.Fatalf("Create after 2 NOT_APPLIED: %v", err)
	}
	if n := srv.Calls("Create"); n != 3 {
		t.Fatalf("server saw %d Creates, want 3", n)
	}

	// OUTCOME_UNKNOWN is returned as is, even though it applied.
	srv.FailNext("Create", clienttest.Fault{Err: errOutcomeUnkown, Apply: true})
	_, err := c.Create(ctx, pod("default", "b"))
	if status.Code(err) != codes.Unavailable || apistatus.Reason(err) != apistatus.ReasonOutcomeUnknown {
		t.Fatalf("Create with OUTCOME_UNKNOWN: err = %v, want UNAVAILABLE/OUTCOME_UNKNOWN", err)
	}
	if n := srv.Calls("Create"); n != 4 {
		t.Fatalf("server saw %d Creates, want 4: OUTCOME_UNKNOWN must not be retried", n)
	}
	if _, err := store.Get(apimeta.KindPod, "default", "b"); err != nil {
		t.Fatalf("the OUTCOME_UNKNOWN create did apply in the fake: %v", err)
	}

	// A plain UNAVAILABLE from a master that received the call may have
	// applied: not retried.
	srv.FailNext("Update", clienttest.Fault{Err: errUnavailable})
	if _, err := c.Update(ctx, pod("default", "a")); status.Code(err) != codes.Unavailable {
		t.Fatalf("Update with UNAVAILABLE: err = %v", err)
	}
	if n := srv.Calls("Update"); n != 1 {
		t.Fatalf("server saw %d Updates, want 1", n)
	}

	// Conflicts are final.
	stale := pod("default", "a")
	apimeta.Meta(stale).ResourceVersion = "999"
	if _, err := c.Update(ctx, stale); status.Code(err) != codes.Aborted {
		t.Fatalf("stale Update: err = %v, want ABORTED", err)
	}
	if n := srv.Calls("Update"); n != 2 {
		t.Fatalf("server saw %d Updates, want 2", n)
	}

	// Status and delete go through the same rules.
	srv.FailNext("UpdateStatus", clienttest.Fault{Err: errNotApplied})
	st := apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "a"},
		Status: &gantryv1.PodStatus{Phase: "Running"}})
	got, err := c.UpdateStatus(ctx, st)
	if err != nil || got.GetPod().GetStatus().GetPhase() != "Running" {
		t.Fatalf("UpdateStatus = %v, %v", got, err)
	}
	srv.FailNext("Delete", clienttest.Fault{Err: errNotApplied})
	if _, err := c.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: "default", Name: "a"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if n := srv.Calls("Delete"); n != 2 {
		t.Fatalf("server saw %d Deletes, want 2", n)
	}
}

// countAttempts counts unary attempts as the client makes them.
func countAttempts(n *atomic.Int64) grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		n.Add(1)
		return invoker(ctx, method, req, reply, cc, opts...)
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

func TestWriteNeverReachedIsRetried(t *testing.T) {
	addr := freeAddr(t)
	var attempts atomic.Int64
	cfg := testConfig(addr)
	cfg.MaxRetries = 1000
	cfg.DialOptions = []grpc.DialOption{countAttempts(&attempts)}
	c := newClient(t, cfg)
	ctx := testCtx(t)

	done := make(chan error, 1)
	go func() {
		_, err := c.Create(ctx, pod("default", "a"))
		done <- err
	}()
	eventually(t, "two failed attempts while no master listens", func() bool { return attempts.Load() >= 2 })

	store := clienttest.NewStore()
	srv := clienttest.NewServer(store)
	if err := srv.Start(addr); err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	t.Cleanup(srv.Stop)
	if err := <-done; err != nil {
		t.Fatalf("Create once a master is up: %v", err)
	}
	if n := srv.Calls("Create"); n != 1 {
		t.Fatalf("server saw %d Creates, want exactly 1", n)
	}
	if _, err := store.Get(apimeta.KindPod, "default", "a"); err != nil {
		t.Fatal(err)
	}
}

func TestWriteNeverReachedGivesUp(t *testing.T) {
	var attempts atomic.Int64
	cfg := testConfig(freeAddr(t))
	cfg.MaxRetries = 3
	cfg.DialOptions = []grpc.DialOption{countAttempts(&attempts)}
	c := newClient(t, cfg)
	_, err := c.Create(testCtx(t), pod("default", "a"))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("Create with no master: err = %v, want UNAVAILABLE", err)
	}
	if n := attempts.Load(); n != 4 {
		t.Fatalf("%d attempts, want 4 (1 + MaxRetries)", n)
	}
}

func TestFailoverWhenAMasterStops(t *testing.T) {
	store := clienttest.NewStore()
	if _, err := store.Create(pod("default", "a")); err != nil {
		t.Fatal(err)
	}
	a, b := clienttest.Start(t, store), clienttest.Start(t, store)
	c := newClient(t, testConfig(a.Addr(), b.Addr()))
	ctx := testCtx(t)
	get := func() {
		t.Helper()
		if _, err := c.Get(ctx, apimeta.KindPod, "default", "a"); err != nil {
			t.Fatalf("Get: %v", err)
		}
	}
	eventually(t, "round_robin to reach both masters", func() bool {
		get()
		return a.Calls("Get") > 0 && b.Calls("Get") > 0
	})

	a.Stop()
	before := b.Calls("Get")
	for range 20 {
		get()
	}
	if n := b.Calls("Get") - before; n < 20 {
		t.Fatalf("the surviving master answered %d of 20 Gets", n)
	}
	for i := range 10 {
		if _, err := c.Create(ctx, pod("default", "new-"+string(rune('a'+i)))); err != nil {
			t.Fatalf("Create %d after failover: %v", i, err)
		}
	}
}

func TestHealthNotServingDrainsMaster(t *testing.T) {
	store := clienttest.NewStore()
	if _, err := store.Create(pod("default", "a")); err != nil {
		t.Fatal(err)
	}
	a, b := clienttest.Start(t, store), clienttest.Start(t, store)
	c := newClient(t, testConfig(a.Addr(), b.Addr()))
	ctx := testCtx(t)
	eventually(t, "round_robin to reach both masters", func() bool {
		_, _ = c.Get(ctx, apimeta.KindPod, "default", "a")
		return a.Calls("Get") > 0 && b.Calls("Get") > 0
	})
	a.SetServing(false)
	eventually(t, "a NOT_SERVING master to get no calls", func() bool {
		before := a.Calls("Get")
		for range 10 {
			if _, err := c.Get(ctx, apimeta.KindPod, "default", "a"); err != nil {
				t.Fatalf("Get: %v", err)
			}
		}
		return a.Calls("Get") == before
	})
}

func TestListAllFollowsContinueTokens(t *testing.T) {
	store := clienttest.NewStore()
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		if _, err := store.Create(pod("default", n)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Create(apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "x"}})); err != nil {
		t.Fatal(err)
	}
	srv := clienttest.Start(t, store)
	c := newClient(t, testConfig(srv.Addr()))
	req := &gantryv1.ListRequest{Kind: apimeta.KindPod, Limit: 3}
	resp, err := c.ListAll(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	var names string
	for _, o := range resp.GetItems() {
		names += apimeta.Meta(o).GetName()
	}
	if names != "abcdefg" || resp.GetContinueToken() != "" || resp.GetResourceVersion() != "8" {
		t.Fatalf("ListAll = %q rv %q token %q; want abcdefg at 8", names, resp.GetResourceVersion(), resp.GetContinueToken())
	}
	if n := srv.Calls("List"); n != 3 {
		t.Fatalf("server saw %d Lists, want 3 pages", n)
	}
	if req.GetContinueToken() != "" {
		t.Fatal("ListAll modified the caller's request")
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 10, Max: 100, Multiplier: 2}
	for i, want := range []int64{10, 20, 40, 80, 100, 100} {
		if got := b.Delay(i); int64(got) != want {
			t.Fatalf("Delay(%d) = %d, want %d", i, got, want)
		}
	}
	b.Jitter = 0.5
	for i := range 200 {
		if d := b.Delay(i % 8); d < 5 || d > 100 {
			t.Fatalf("jittered Delay(%d) = %d, outside [5,100]", i%8, d)
		}
	}
	if d := (Backoff{Initial: 1 << 40, Multiplier: 10}).Delay(100); d <= 0 {
		t.Fatalf("uncapped huge Delay = %d, want positive", d)
	}
}
