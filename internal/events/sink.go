package events

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
)

// Sink is where Events are written: the apiservers.
type Sink interface {
	Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error)
	Get(ctx context.Context, namespace, name string) (*gantryv1.Event, error)
}

// ResourceClient is the part of gantryv1.ResourceServiceClient a Sink needs.
type ResourceClient interface {
	Batch(ctx context.Context, in *gantryv1.BatchRequest, opts ...grpc.CallOption) (*gantryv1.BatchResponse, error)
	Get(ctx context.Context, in *gantryv1.GetRequest, opts ...grpc.CallOption) (*gantryv1.GetResponse, error)
}

// NewSink writes through the ResourceService stub (client.Client's
// Resources()). It does not retry itself: the writer does.
func NewSink(rc ResourceClient) Sink { return rcSink{rc} }

type rcSink struct{ rc ResourceClient }

func (s rcSink) Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	return s.rc.Batch(ctx, req)
}

func (s rcSink) Get(ctx context.Context, namespace, name string) (*gantryv1.Event, error) {
	resp, err := s.rc.Get(ctx, &gantryv1.GetRequest{Kind: "Event", Namespace: namespace, Name: name})
	return resp.GetObject().GetEvent(), err
}
