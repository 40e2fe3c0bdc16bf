package endpointslice

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// benchCache is an indexed in-memory cache (ctrltest's scans on every
// index lookup, which would measure the fake rather than the reconciler).
type benchCache struct {
	mu      sync.RWMutex
	items   map[string]*gantryv1.Object
	fns     map[string]informer.IndexFunc
	indices map[string]map[string]map[string]struct{}
}

func newBenchCache() *benchCache {
	return &benchCache{items: map[string]*gantryv1.Object{}, fns: map[string]informer.IndexFunc{}, indices: map[string]map[string]map[string]struct{}{}}
}

func (c *benchCache) Get(namespace, name string) (*gantryv1.Object, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.items[apimeta.Key(namespace, name)]
	return o, ok
}

func (c *benchCache) List() []*gantryv1.Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*gantryv1.Object, 0, len(c.items))
	for _, o := range c.items {
		out = append(out, o)
	}
	return out
}

func (c *benchCache) ListByIndex(index, value string) ([]*gantryv1.Object, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	keys := c.indices[index][value]
	out := make([]*gantryv1.Object, 0, len(keys))
	for k := range keys {
		out = append(out, c.items[k])
	}
	return out, nil
}

func (c *benchCache) AddIndex(name string, fn informer.IndexFunc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns[name], c.indices[name] = fn, map[string]map[string]struct{}{}
	return nil
}

func (c *benchCache) AddEventHandler(informer.Handler) error { return nil }
func (c *benchCache) HasSynced() bool                        { return true }

func (c *benchCache) put(o *gantryv1.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := apimeta.Meta(o)
	key := apimeta.Key(m.GetNamespace(), m.GetName())
	c.unindexLocked(key)
	c.items[key] = o
	for name, fn := range c.fns {
		for _, v := range fn(o) {
			if c.indices[name][v] == nil {
				c.indices[name][v] = map[string]struct{}{}
			}
			c.indices[name][v][key] = struct{}{}
		}
	}
}

func (c *benchCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unindexLocked(key)
	delete(c.items, key)
}

func (c *benchCache) unindexLocked(key string) {
	old, ok := c.items[key]
	if !ok {
		return
	}
	for name, fn := range c.fns {
		for _, v := range fn(old) {
			delete(c.indices[name][v], key)
		}
	}
}

// benchClient applies Batch ops to the slice cache at once.
type benchClient struct {
	slices *benchCache
	mu     sync.Mutex
	rv     uint64
}

func (b *benchClient) Get(context.Context, string, string, string) (*gantryv1.Object, error) {
	return nil, status.Error(codes.Unimplemented, "bench")
}
func (b *benchClient) Create(context.Context, *gantryv1.Object) (*gantryv1.Object, error) {
	return nil, status.Error(codes.Unimplemented, "bench")
}
func (b *benchClient) Update(context.Context, *gantryv1.Object) (*gantryv1.Object, error) {
	return nil, status.Error(codes.Unimplemented, "bench")
}
func (b *benchClient) UpdateStatus(context.Context, *gantryv1.Object) (*gantryv1.Object, error) {
	return nil, status.Error(codes.Unimplemented, "bench")
}
func (b *benchClient) Delete(context.Context, *gantryv1.DeleteRequest) (*gantryv1.Object, error) {
	return nil, status.Error(codes.Unimplemented, "bench")
}

func (b *benchClient) Batch(_ context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	resp := &gantryv1.BatchResponse{}
	for _, op := range req.GetOps() {
		b.rv++
		rv := strconv.FormatUint(b.rv, 10)
		switch x := op.GetOp().(type) {
		case *gantryv1.BatchOp_Create:
			o := proto.Clone(x.Create).(*gantryv1.Object)
			m := apimeta.Meta(o)
			m.Name, m.Uid, m.ResourceVersion = m.GetGenerateName()+rv, "uid-"+rv, rv
			b.slices.put(o)
			resp.Results = append(resp.Results, &gantryv1.BatchResult{Object: o})
		case *gantryv1.BatchOp_Update:
			o := proto.Clone(x.Update).(*gantryv1.Object)
			apimeta.Meta(o).ResourceVersion = rv
			b.slices.put(o)
			resp.Results = append(resp.Results, &gantryv1.BatchResult{Object: o})
		case *gantryv1.BatchOp_Delete:
			b.slices.remove(apimeta.Key(x.Delete.GetNamespace(), x.Delete.GetName()))
			resp.Results = append(resp.Results, &gantryv1.BatchResult{})
		}
	}
	return resp, nil
}

type benchWorld struct {
	c                      *Controller
	services, pods, slices *benchCache
	keys                   []string
}

// newBenchWorld seeds services × perService ready pods, each Service
// selecting its own.
func newBenchWorld(b *testing.B, services, perService int) *benchWorld {
	w := &benchWorld{services: newBenchCache(), pods: newBenchCache(), slices: newBenchCache()}
	c, err := New(DefaultConfig(), Deps{Client: &benchClient{slices: w.slices}, Services: w.services, Pods: w.pods, Slices: w.slices}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.queue.ShutDown)
	w.c = c
	for s := range services {
		app := fmt.Sprintf("app-%d", s)
		svc := newService(fmt.Sprintf("svc-%d", s), map[string]string{"app": app}, svcPort("http", 80, "http"))
		svc.Metadata.Uid = "uid-" + svc.Metadata.Name
		w.services.put(apimeta.Wrap(svc))
		w.keys = append(w.keys, ns+"/"+svc.Metadata.Name)
		for p := range perService {
			name := fmt.Sprintf("%s-%d", app, p)
			pod := buildPod(name, podOpts{labels: map[string]string{"app": app, "tier": "web"}, node: fmt.Sprintf("n%d", p%100)})
			pod.Metadata.Uid = "uid-" + name
			w.pods.put(apimeta.Wrap(pod))
		}
	}
	return w
}

func (w *benchWorld) syncAll(b *testing.B) {
	for _, k := range w.keys {
		if err := w.c.Reconcile(context.Background(), k); err != nil {
			b.Fatal(err)
		}
	}
}

func (w *benchWorld) flipReady(name string) {
	o, _ := w.pods.Get(ns, name)
	o = proto.Clone(o).(*gantryv1.Object)
	c := o.GetPod().GetStatus().GetConditions()[0]
	if c.Status == "True" {
		c.Status = "False"
	} else {
		c.Status = "True"
	}
	w.pods.put(o)
}

// BenchmarkReconcile times syncs of every Service: from nothing (every
// slice created), at rest (nothing written), and after one pod's
// readiness changed (one slice updated).
//
//	go test -run '^$' -bench Reconcile ./services/controller/endpointslice/
func BenchmarkReconcile(b *testing.B) {
	for _, size := range []struct{ services, perService int }{{1000, 10}, {1, 10000}} {
		name := fmt.Sprintf("%dsvc_x_%dep", size.services, size.perService)
		b.Run(name+"/create", func(b *testing.B) {
			w := newBenchWorld(b, size.services, size.perService)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for _, o := range w.slices.List() {
					w.slices.remove(ctrlKey(o))
				}
				w.c.tracker = newTracker(w.c.cfg.TrackerTTL, w.c.clock.Now)
				b.StartTimer()
				w.syncAll(b)
			}
			b.ReportMetric(float64(len(w.slices.List())), "slices")
		})
		b.Run(name+"/steady", func(b *testing.B) {
			w := newBenchWorld(b, size.services, size.perService)
			w.syncAll(b)
			n := len(w.slices.List())
			b.ReportAllocs()
			for b.Loop() {
				w.syncAll(b)
			}
			if got := len(w.slices.List()); got != n {
				b.Fatalf("%d slices at rest, were %d", got, n)
			}
		})
		b.Run(name+"/one-change", func(b *testing.B) {
			w := newBenchWorld(b, size.services, size.perService)
			w.syncAll(b)
			key := w.keys[len(w.keys)/2]
			pod := fmt.Sprintf("app-%d-%d", len(w.keys)/2, size.perService/2)
			b.ReportAllocs()
			for b.Loop() {
				w.flipReady(pod)
				if err := w.c.Reconcile(context.Background(), key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ctrlKey(o *gantryv1.Object) string {
	m := apimeta.Meta(o)
	return apimeta.Key(m.GetNamespace(), m.GetName())
}
