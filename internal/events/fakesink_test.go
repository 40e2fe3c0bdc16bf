package events

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fakeSink stores Events as the apiserver would: creates fail on an
// existing name or a missing namespace, updates on a stale version.
type fakeSink struct {
	mu      sync.Mutex
	events  map[string]*gantryv1.Event // by namespace/name
	rv      int
	batches []int // ops per Batch call
	gets    int
	// failNext Batch calls fail with UNAVAILABLE without applying;
	// loseNext apply and then fail (an outcome the caller cannot know).
	failNext, loseNext int
	missingNS          map[string]bool
}

func newFakeSink() *fakeSink {
	return &fakeSink{events: map[string]*gantryv1.Event{}, missingNS: map[string]bool{}}
}

func key(ns, name string) string { return ns + "/" + name }

func (f *fakeSink) Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(req.GetOps()))
	if f.failNext > 0 {
		f.failNext--
		return nil, status.Error(codes.Unavailable, "no leader")
	}
	resp := &gantryv1.BatchResponse{}
	for _, op := range req.GetOps() {
		resp.Results = append(resp.Results, f.apply(op))
	}
	if f.loseNext > 0 {
		f.loseNext--
		return nil, status.Error(codes.Unavailable, "outcome unknown")
	}
	return resp, nil
}

func (f *fakeSink) apply(op *gantryv1.BatchOp) *gantryv1.BatchResult {
	fail := func(c codes.Code, msg string) *gantryv1.BatchResult {
		return &gantryv1.BatchResult{Code: int32(c), Message: msg}
	}
	var ev *gantryv1.Event
	create := op.GetCreate() != nil
	if create {
		ev = proto.Clone(op.GetCreate().GetEvent()).(*gantryv1.Event)
	} else {
		ev = proto.Clone(op.GetUpdate().GetEvent()).(*gantryv1.Event)
	}
	m := ev.GetMetadata()
	k := key(m.GetNamespace(), m.GetName())
	cur, exists := f.events[k]
	switch {
	case create && f.missingNS[m.GetNamespace()]:
		return fail(codes.NotFound, "namespace not found")
	case create && exists:
		return fail(codes.AlreadyExists, "already exists")
	case create:
		m.Uid = "uid-" + k
	case !exists:
		return fail(codes.NotFound, "not found")
	case cur.GetMetadata().GetResourceVersion() != m.GetResourceVersion():
		return fail(codes.Aborted, "conflict")
	}
	f.rv++
	m.ResourceVersion = strconv.Itoa(f.rv)
	f.events[k] = ev
	return &gantryv1.BatchResult{Object: &gantryv1.Object{Kind: &gantryv1.Object_Event{Event: proto.Clone(ev).(*gantryv1.Event)}}}
}

func (f *fakeSink) Get(ctx context.Context, namespace, name string) (*gantryv1.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	ev, ok := f.events[key(namespace, name)]
	if !ok {
		return nil, status.Error(codes.NotFound, "not found")
	}
	return proto.Clone(ev).(*gantryv1.Event), nil
}

// all returns the stored events.
func (f *fakeSink) all() []*gantryv1.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*gantryv1.Event
	for _, e := range f.events {
		out = append(out, e)
	}
	return out
}

func (f *fakeSink) calls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

// put stores an event directly (someone else's, or one to conflict with).
func (f *fakeSink) put(ev *gantryv1.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rv++
	ev.Metadata.ResourceVersion = strconv.Itoa(f.rv)
	f.events[key(ev.GetMetadata().GetNamespace(), ev.GetMetadata().GetName())] = ev
}

func (f *fakeSink) remove(ns, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.events, key(ns, name))
}

func (f *fakeSink) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := ""
	for k, e := range f.events {
		s += fmt.Sprintf("%s %s %q x%d; ", k, e.GetReason(), e.GetMessage(), e.GetCount())
	}
	return s
}
