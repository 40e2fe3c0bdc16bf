package clienttest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Fault is an injected failure of one call.
type Fault struct {
	// Err is returned to the caller.
	Err error
	// Apply performs the call's write before returning Err (an outcome
	// the client cannot know).
	Apply bool
}

// Server serves a Store over gRPC, as one master. Several servers may share
// a store, like masters sharing Raft state.
type Server struct {
	gantryv1.UnimplementedResourceServiceServer
	store   *Store
	gs      *grpc.Server
	health  *health.Server
	lis     net.Listener
	watches atomic.Int64

	mu     sync.Mutex
	faults map[string][]Fault
	calls  map[string]int
}

// NewServer returns a server for store; Start serves it.
func NewServer(store *Store) *Server {
	s := &Server{store: store, faults: map[string][]Fault{}, calls: map[string]int{}, health: health.NewServer()}
	s.gs = grpc.NewServer()
	gantryv1.RegisterResourceServiceServer(s.gs, s)
	healthpb.RegisterHealthServer(s.gs, s.health)
	return s
}

// Start listens on addr ("127.0.0.1:0" for any port) and serves in the
// background.
func (s *Server) Start(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.lis = lis
	go func() { _ = s.gs.Serve(lis) }()
	return nil
}

// Start runs a server for store on a loopback port, stopped at the end of
// the test.
func Start(t testing.TB, store *Store) *Server {
	t.Helper()
	s := NewServer(store)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("clienttest: listen: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Addr returns the listening address.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Stop closes every connection and stops serving, like a master crashing.
func (s *Server) Stop() { s.gs.Stop() }

// SetServing sets the health status clients see for service "".
func (s *Server) SetServing(serving bool) {
	st := healthpb.HealthCheckResponse_SERVING
	if !serving {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	s.health.SetServingStatus("", st)
}

// FailNext makes the next calls of method ("Get", "Create", "Watch", ...)
// fail with faults, one each, before any later ones succeed.
func (s *Server) FailNext(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// Calls returns how many calls of method the server received.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Watches returns how many watch streams are open on this server.
func (s *Server) Watches() int { return int(s.watches.Load()) }

// enter counts a call and pops its fault, if any.
func (s *Server) enter(method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	f := s.faults[method]
	if len(f) == 0 {
		return Fault{}, false
	}
	s.faults[method] = f[1:]
	return f[0], true
}

// write runs a write call with fault injection.
func write[T any](s *Server, method string, do func() (T, error)) (T, error) {
	f, faulty := s.enter(method)
	if faulty && !f.Apply {
		var zero T
		return zero, f.Err
	}
	v, err := do()
	if faulty {
		var zero T
		return zero, f.Err
	}
	return v, err
}

// Get implements ResourceService.
func (s *Server) Get(_ context.Context, req *gantryv1.GetRequest) (*gantryv1.GetResponse, error) {
	if f, ok := s.enter("Get"); ok {
		return nil, f.Err
	}
	o, err := s.store.Get(req.GetKind(), req.GetNamespace(), req.GetName())
	if err != nil {
		return nil, err
	}
	return &gantryv1.GetResponse{Object: o}, nil
}

// List implements ResourceService.
func (s *Server) List(_ context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	if f, ok := s.enter("List"); ok {
		return nil, f.Err
	}
	return s.store.List(req)
}

// Create implements ResourceService.
func (s *Server) Create(_ context.Context, req *gantryv1.CreateRequest) (*gantryv1.CreateResponse, error) {
	return write(s, "Create", func() (*gantryv1.CreateResponse, error) {
		o, err := s.store.Create(req.GetObject())
		return &gantryv1.CreateResponse{Object: o}, err
	})
}

// Update implements ResourceService.
func (s *Server) Update(_ context.Context, req *gantryv1.UpdateRequest) (*gantryv1.UpdateResponse, error) {
	return write(s, "Update", func() (*gantryv1.UpdateResponse, error) {
		o, err := s.store.Update(req.GetObject())
		return &gantryv1.UpdateResponse{Object: o}, err
	})
}

// UpdateStatus implements ResourceService.
func (s *Server) UpdateStatus(_ context.Context, req *gantryv1.UpdateStatusRequest) (*gantryv1.UpdateStatusResponse, error) {
	return write(s, "UpdateStatus", func() (*gantryv1.UpdateStatusResponse, error) {
		o, err := s.store.UpdateStatus(req.GetObject())
		return &gantryv1.UpdateStatusResponse{Object: o}, err
	})
}

// Delete implements ResourceService.
func (s *Server) Delete(_ context.Context, req *gantryv1.DeleteRequest) (*gantryv1.DeleteResponse, error) {
	return write(s, "Delete", func() (*gantryv1.DeleteResponse, error) {
		o, err := s.store.Delete(req.GetKind(), req.GetNamespace(), req.GetName())
		return &gantryv1.DeleteResponse{Object: o}, err
	})
}

// Watch implements ResourceService.
func (s *Server) Watch(req *gantryv1.WatchRequest, stream grpc.ServerStreamingServer[gantryv1.WatchResponse]) error {
	if f, ok := s.enter("Watch"); ok {
		return f.Err
	}
	c, err := s.store.Watch(stream.Context(), req)
	if err != nil {
		return err
	}
	s.watches.Add(1)
	defer s.watches.Add(-1)
	for {
		resp, err := c.Recv()
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}
