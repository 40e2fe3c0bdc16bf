package scheduler

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/client/clienttest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fakeAPI serves the scheduler from an in-memory clienttest.Store (field
// selectors ignored). Bind binds in the store unless bindHook says
// otherwise; Batch applies status updates.
type fakeAPI struct {
	store *clienttest.Store
	// applyBinds: Bind writes the node into the store (else it only
	// answers OK, and nothing confirms the binding).
	applyBinds bool
	mu         sync.Mutex
	// bindHook, when set, decides a binding's result code.
	bindHook     func(b *gantryv1.Binding) codes.Code
	bound        atomic.Int64
	bindCalls    atomic.Int64
	statusWrites atomic.Int64
}

func newFakeAPI() *fakeAPI { return &fakeAPI{store: clienttest.NewStore(), applyBinds: true} }

var _ API = (*fakeAPI)(nil)

func (f *fakeAPI) List(_ context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	return f.store.List(req)
}

func (f *fakeAPI) Watch(ctx context.Context, req *gantryv1.WatchRequest) *client.Watcher {
	open := func(ctx context.Context, req *gantryv1.WatchRequest) (client.WatchStream, error) {
		return f.store.Watch(ctx, req)
	}
	return client.NewWatcher(ctx, req, open, client.WatchOptions{Buffer: 64, MaxRetries: 1 << 20,
		Backoff: client.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2}})
}

func (f *fakeAPI) Get(_ context.Context, kind, ns, name string) (*gantryv1.Object, error) {
	return f.store.Get(kind, ns, name)
}

func (f *fakeAPI) Create(_ context.Context, o *gantryv1.Object) (*gantryv1.Object, error) {
	return f.store.Create(o)
}

func (f *fakeAPI) Update(_ context.Context, o *gantryv1.Object) (*gantryv1.Object, error) {
	return f.store.Update(o)
}

func (f *fakeAPI) Resources() gantryv1.ResourceServiceClient { return fakeResources{f: f} }

// fakeResources implements Bind and Batch; other methods are not used.
type fakeResources struct {
	gantryv1.ResourceServiceClient
	f *fakeAPI
}

func (r fakeResources) Bind(_ context.Context, req *gantryv1.BindRequest, _ ...grpc.CallOption) (*gantryv1.BindResponse, error) {
	r.f.bindCalls.Add(1)
	out := &gantryv1.BindResponse{}
	for _, b := range req.GetBindings() {
		code := r.f.bindOne(b)
		if code == codes.OK {
			r.f.bound.Add(1)
		}
		out.Results = append(out.Results, &gantryv1.BatchResult{Code: int32(code)})
	}
	return out, nil
}

func (f *fakeAPI) bindOne(b *gantryv1.Binding) codes.Code {
	f.mu.Lock()
	hook := f.bindHook
	f.mu.Unlock()
	if hook != nil {
		if c := hook(b); c != codes.OK {
			return c
		}
	}
	if !f.applyBinds {
		return codes.OK
	}
	o, err := f.store.Get(apimeta.KindPod, b.GetNamespace(), b.GetName())
	switch {
	case err != nil:
		return status.Code(err)
	case o.GetPod().GetMetadata().GetUid() != b.GetUid():
		return codes.FailedPrecondition
	case o.GetPod().GetSpec().GetNodeName() != "":
		return codes.Aborted
	}
	o = proto.Clone(o).(*gantryv1.Object) // stored objects are shared
	o.GetPod().Spec.NodeName = b.GetNodeName()
	if _, err := f.store.Update(o); err != nil { // resource_version guards the check above
		return status.Code(err)
	}
	return codes.OK
}

func (r fakeResources) Batch(_ context.Context, req *gantryv1.BatchRequest, _ ...grpc.CallOption) (*gantryv1.BatchResponse, error) {
	out := &gantryv1.BatchResponse{}
	for _, op := range req.GetOps() {
		_, err := r.f.store.UpdateStatus(op.GetUpdateStatus())
		r.f.statusWrites.Add(1)
		out.Results = append(out.Results, &gantryv1.BatchResult{Code: int32(status.Code(err))})
	}
	return out, nil
}
