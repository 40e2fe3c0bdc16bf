package leaderelect

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fakeAPI stores one lease with resource-version checks, like the apiserver.
type fakeAPI struct {
	mu    sync.Mutex
	lease *gantryv1.Object
	rv    int
}

func (f *fakeAPI) Get(_ context.Context, _, _, _ string) (*gantryv1.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lease == nil {
		return nil, status.Error(codes.NotFound, "no lease")
	}
	return proto.Clone(f.lease).(*gantryv1.Object), nil
}

func (f *fakeAPI) Create(_ context.Context, o *gantryv1.Object) (*gantryv1.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lease != nil {
		return nil, status.Error(codes.AlreadyExists, "exists")
	}
	return f.store(o), nil
}

func (f *fakeAPI) Update(_ context.Context, o *gantryv1.Object) (*gantryv1.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if apimeta.Meta(o).GetResourceVersion() != apimeta.Meta(f.lease).GetResourceVersion() {
		return nil, status.Error(codes.Aborted, "conflict")
	}
	return f.store(o), nil
}

func (f *fakeAPI) store(o *gantryv1.Object) *gantryv1.Object {
	f.rv++
	o = proto.Clone(o).(*gantryv1.Object)
	apimeta.Meta(o).ResourceVersion = strconv.Itoa(f.rv)
	f.lease = o
	return proto.Clone(o).(*gantryv1.Object)
}

func (f *fakeAPI) holder() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lease.GetLease().GetSpec().GetHolderIdentity()
}

func (f *fakeAPI) transitions() int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lease.GetLease().GetSpec().GetLeaseTransitions()
}

// failing wraps a Client and fails every call while on is set.
type failing struct {
	Client
	on atomic.Bool
}

func (f *failing) Get(ctx context.Context, k, ns, n string) (*gantryv1.Object, error) {
	if f.on.Load() {
		return nil, status.Error(codes.Unavailable, "down")
	}
	return f.Client.Get(ctx, k, ns, n)
}

func testConfig(id string) Config {
	c := DefaultConfig()
	c.Name, c.Identity = "test", id
	c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 400*time.Millisecond, 200*time.Millisecond, 20*time.Millisecond
	return c
}

type candidate struct {
	leading atomic.Bool
	done    chan error
	cancel  context.CancelFunc
}

func start(t *testing.T, cfg Config, c Client) *candidate {
	e, err := New(cfg, c, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cd := &candidate{done: make(chan error, 1), cancel: cancel}
	go func() {
		cd.done <- e.Run(ctx, func(lctx context.Context) {
			cd.leading.Store(true)
			<-lctx.Done()
			cd.leading.Store(false)
		})
	}()
	t.Cleanup(cancel)
	return cd
}

func eventually(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOneLeaderThenTakeoverAfterExpiry(t *testing.T) {
	api := &fakeAPI{}
	a := start(t, testConfig("a"), api)
	eventually(t, 2*time.Second, a.leading.Load, "a leads")
	b := start(t, testConfig("b"), api)
	// While a renews, b must never lead (checked over several lease durations).
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if b.leading.Load() {
			t.Fatal("b leads while a renews")
		}
	}
	a.cancel() // a stops renewing; its lease stays until it expires
	if err := <-a.done; err != nil {
		t.Fatalf("a.Run after cancel = %v, want nil", err)
	}
	eventually(t, 3*time.Second, b.leading.Load, "b takes over")
	if api.holder() != "b" {
		t.Fatalf("holder %q, want b", api.holder())
	}
	if tr := api.transitions(); tr != 1 {
		t.Fatalf("transitions = %d, want 1", tr)
	}
}

func TestLeaderThatCannotRenewLosesAndStops(t *testing.T) {
	api := &failing{Client: &fakeAPI{}}
	a := start(t, testConfig("a"), api)
	eventually(t, 2*time.Second, a.leading.Load, "a leads")
	api.on.Store(true)
	select {
	case err := <-a.done:
		if !errors.Is(err, ErrLost) {
			t.Fatalf("Run = %v, want ErrLost", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("leader kept leading without renewals")
	}
	if a.leading.Load() {
		t.Fatal("lead callback still running after the lease was lost")
	}
}

func TestExpiryIsJudgedByOwnClock(t *testing.T) {
	api := &fakeAPI{}
	a := start(t, testConfig("a"), api)
	eventually(t, 2*time.Second, a.leading.Load, "a leads")
	// b's clock is an hour ahead: by the holder's renew times the lease
	// looks long expired, but b saw it change moments ago.
	cfg := testConfig("b")
	cfg.Now = func() time.Time { return time.Now().Add(time.Hour) }
	b := start(t, cfg, api)
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if b.leading.Load() {
			t.Fatal("b with a skewed clock took a lease that is being renewed")
		}
	}
}

func TestConfigValidation(t *testing.T) {
	bad := testConfig("a")
	bad.RenewDeadline = bad.LeaseDuration
	if _, err := New(bad, &fakeAPI{}, zap.NewNop()); err == nil {
		t.Fatal("accepted renew deadline >= lease duration")
	}
	noID := testConfig("")
	if _, err := New(noID, &fakeAPI{}, zap.NewNop()); err == nil {
		t.Fatal("accepted empty identity")
	}
}
