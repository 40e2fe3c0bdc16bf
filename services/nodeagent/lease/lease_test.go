package lease

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeAPI stores leases with resource versions, as the apiserver does.
type fakeAPI struct {
	mu     sync.Mutex
	rv     int
	leases map[string]*gantryv1.Lease
	calls  int
}

func (f *fakeAPI) Batch(_ context.Context, in *gantryv1.BatchRequest, _ ...grpc.CallOption) (*gantryv1.BatchResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	resp := &gantryv1.BatchResponse{}
	for _, op := range in.GetOps() {
		resp.Results = append(resp.Results, f.apply(op))
	}
	return resp, nil
}

func (f *fakeAPI) apply(op *gantryv1.BatchOp) *gantryv1.BatchResult {
	var l *gantryv1.Lease
	switch o := op.GetOp().(type) {
	case *gantryv1.BatchOp_Create:
		l = proto.Clone(o.Create.GetLease()).(*gantryv1.Lease)
		if _, ok := f.leases[l.GetMetadata().GetName()]; ok {
			return &gantryv1.BatchResult{Code: int32(codes.AlreadyExists)}
		}
	case *gantryv1.BatchOp_Update:
		l = proto.Clone(o.Update.GetLease()).(*gantryv1.Lease)
		old, ok := f.leases[l.GetMetadata().GetName()]
		if !ok {
			return &gantryv1.BatchResult{Code: int32(codes.NotFound)}
		}
		if old.GetMetadata().GetResourceVersion() != l.GetMetadata().GetResourceVersion() {
			return &gantryv1.BatchResult{Code: int32(codes.Aborted)}
		}
	}
	f.rv++
	l.Metadata.ResourceVersion = strconv.Itoa(f.rv)
	f.leases[l.GetMetadata().GetName()] = l
	return &gantryv1.BatchResult{Object: &gantryv1.Object{Kind: &gantryv1.Object_Lease{Lease: proto.Clone(l).(*gantryv1.Lease)}}}
}

func (f *fakeAPI) Get(_ context.Context, _, _, name string) (*gantryv1.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.leases[name]
	if !ok {
		return nil, status.Error(codes.NotFound, name)
	}
	return &gantryv1.Object{Kind: &gantryv1.Object_Lease{Lease: proto.Clone(l).(*gantryv1.Lease)}}, nil
}

func (f *fakeAPI) lease(name string) *gantryv1.Lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leases[name]
}

func TestRenewalsAreBatchedSpreadAndSurviveConflicts(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	api := &fakeAPI{leases: map[string]*gantryv1.Lease{}}
	cfg := DefaultConfig()
	cfg.Clock = clk
	r := New(cfg, api, zaptest.NewLogger(t))
	for i := range 20 {
		r.Add("n"+strconv.Itoa(i), "uid-"+strconv.Itoa(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "all leases created", func() bool { return len(snapshot(api)) == 20 })
	if api.calls != 1 {
		t.Fatalf("%d calls to create 20 leases, want 1 batch", api.calls)
	}
	l := api.lease("n0")
	if l.GetSpec().GetHolderIdentity() != "n0" || l.GetSpec().GetLeaseDurationSeconds() != 40 || l.GetMetadata().GetOwnerReferences()[0].GetUid() != "uid-0" {
		t.Fatalf("lease = %v", l)
	}
	// Someone else writes n0's lease: our next renewal conflicts, reads it
	// again and takes it back.
	api.mu.Lock()
	other := proto.Clone(api.leases["n0"]).(*gantryv1.Lease)
	other.Spec.HolderIdentity = "intruder"
	api.rv++
	other.Metadata.ResourceVersion = strconv.Itoa(api.rv)
	api.leases["n0"] = other
	api.mu.Unlock()
	// One tick (interval/10) renews one tenth of the nodes: n0 and n10.
	first := clk.Now()
	waitFor(t, "ticker", clk.HasWaiters)
	clk.Step(time.Second)
	waitFor(t, "n0 renewed", func() bool { return r.Renewed("n0").After(first) })
	if got := api.lease("n0").GetSpec(); got.GetHolderIdentity() != "n0" || got.GetLeaseTransitions() != 1 {
		t.Fatalf("n0 after conflict: %v", got)
	}
	if !r.Renewed("n10").After(first) || r.Renewed("n1").After(first) {
		t.Fatalf("tick 0 should renew n0 and n10 only: n10 %v n1 %v", r.Renewed("n10"), r.Renewed("n1"))
	}
}

func snapshot(f *fakeAPI) map[string]*gantryv1.Lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]*gantryv1.Lease{}
	for k, v := range f.leases {
		out[k] = v
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
