package endpointslice

import (
	"context"
	"errors"
	"slices"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func userSlice(name, svc string, labels map[string]string) *gantryv1.Object {
	l := map[string]string{LabelServiceName: svc}
	for k, v := range labels {
		l[k] = v
	}
	port, proto, pname := int32(80), "TCP", "http"
	return apimeta.Wrap(&gantryv1.EndpointSlice{
		Metadata:    &gantryv1.ObjectMeta{Name: name, Namespace: ns, Labels: l},
		AddressType: "IPv4",
		Endpoints:   []*gantryv1.Endpoint{{Addresses: []string{"192.0.2.1"}}},
		Ports:       []*gantryv1.EndpointPort{{Name: &pname, Protocol: &proto, Port: &port}},
	})
}

// TestServiceWithoutSelector: user-managed slices are left alone; slices
// this controller wrote before the selector went are removed.
func TestServiceWithoutSelector(t *testing.T) {
	f := newFixture(t)
	f.seedService(newService("ext", nil, svcPort("http", 80, "80")))
	f.w.Seed(userSlice("ext-manual", "ext", nil))
	f.seedPods(podOpts{}, "a")
	f.sync("default/ext")
	f.expectWrites(0, 0, 0)

	f.seedService(webService())
	f.sync("default/web")
	f.expectWrites(1, 0, 0)
	f.w.Mutate(apimeta.KindService, ns, "web", func(o *gantryv1.Object) { o.GetService().Spec.Selector = nil })
	f.w.Sync()
	f.sync("default/web")
	f.expectWrites(0, 0, 1)
	if ss := f.slicesOf("web"); len(ss) != 0 {
		t.Fatalf("slices %v left after the selector went", ss)
	}
	if f.w.Object(apimeta.KindEndpointSlice, ns, "ext-manual") == nil {
		t.Fatal("the user's slice was deleted")
	}
}

func TestHeadlessService(t *testing.T) {
	f := newFixture(t)
	svc := newService("db", map[string]string{"app": "db"})
	svc.Spec.ClusterIp = "None"
	f.seedService(svc)
	f.seedPods(podOpts{labels: map[string]string{"app": "db"}, hostname: "db-0", subdomain: "db"}, "db-0")
	f.seedPods(podOpts{labels: map[string]string{"app": "db"}, hostname: "x", subdomain: "other"}, "db-1")
	f.sync("default/db")
	ss := f.slicesOf("db")
	if len(ss) != 1 || len(ss[0].GetPorts()) != 0 || !slices.Equal(podNames(ss[0]), []string{"db-0", "db-1"}) {
		t.Fatalf("slices %v, want one without ports holding db-0 and db-1", ss)
	}
	if _, ok := ss[0].GetMetadata().GetLabels()[LabelHeadless]; !ok {
		t.Errorf("labels %v lack %s", ss[0].GetMetadata().GetLabels(), LabelHeadless)
	}
	for _, ep := range ss[0].GetEndpoints() {
		want := ""
		if ep.GetTargetRef().GetName() == "db-0" {
			want = "db-0"
		}
		if ep.GetHostname() != want {
			t.Errorf("%s: hostname %q, want %q", ep.GetTargetRef().GetName(), ep.GetHostname(), want)
		}
	}
}

func TestServiceWithoutPodsGetsPlaceholder(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.sync("default/web")
	f.expectWrites(1, 0, 0)
	ss := f.slicesOf("web")
	if len(ss) != 1 || len(ss[0].GetEndpoints()) != 0 || len(ss[0].GetPorts()) != 0 {
		t.Fatalf("slices %v, want one empty placeholder", ss)
	}
	f.sync("default/web")
	f.expectWrites(0, 0, 0)
}

func TestServiceBeingDeletedIsLeftToGC(t *testing.T) {
	f := newFixture(t)
	svc := webService()
	svc.Metadata.DeletionTimestamp = timestamppb.Now()
	svc.Metadata.Finalizers = []string{"foregroundDeletion"}
	f.seedService(svc)
	f.seedPods(podOpts{}, "a")
	f.sync("default/web")
	f.expectWrites(0, 0, 0)
	// A deleted Service: nothing to do.
	f.sync("default/gone")
	f.expectWrites(0, 0, 0)
}

// TestSlicesOfAnOlderServiceAreReplaced: a Service recreated under the
// same name does not adopt the old one's slices.
func TestSlicesOfAnOlderServiceAreReplaced(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, "a")
	f.sync("default/web")
	old := f.slicesOf("web")[0]
	f.w.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: apimeta.KindService, Namespace: ns, Name: "web"})
	svc := f.seedService(webService())
	f.writes()
	f.sync("default/web")
	f.expectWrites(1, 0, 1)
	ss := f.slicesOf("web")
	if len(ss) != 1 || ss[0].GetMetadata().GetName() == old.GetMetadata().GetName() ||
		!ctrl.IsControlledBy(ss[0].GetMetadata(), svc.GetMetadata().GetUid()) {
		t.Fatalf("slices %v, want one new slice owned by the new Service", ss)
	}
}

// TestWritesAreBatched: one sync's writes go in one Batch call, or in
// calls bounded by BatchOps and BatchBytes, in order.
func TestWritesAreBatched(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ops, bytes int
		batches    int
	}{
		{"one call", 500, 1 << 20, 1},
		{"by ops", 2, 1 << 20, 3},
		{"by bytes", 500, 1, 5}, // each op is over the bound: one per call
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.BatchOps, c.BatchBytes = tc.ops, tc.bytes })
			f.seedService(webService())
			f.seedPods(podOpts{}, names("p", 0, 450)...)
			f.sync("default/web")
			f.expectWrites(5, 0, 0)
			if got := f.w.Batches(); got != tc.batches {
				t.Errorf("%d Batch calls, want %d", got, tc.batches)
			}
		})
	}
}

// failingBatch fails the failAt-th Batch call as unavailable.
type failingBatch struct {
	*ctrltest.World
	calls, failAt int
}

func (c *failingBatch) Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	c.calls++
	if c.calls == c.failAt {
		return nil, status.Error(codes.Unavailable, "no leader")
	}
	return c.World.Batch(ctx, req)
}

// TestFailedBatchStopsTheRest: when a Batch call fails, later calls are
// not made (deletes never run ahead of the creates that replace them).
func TestFailedBatchStopsTheRest(t *testing.T) {
	w := ctrltest.NewWorld()
	cl := &failingBatch{World: w, failAt: 2}
	cfg := DefaultConfig()
	cfg.BatchOps = 1
	c, err := New(cfg, Deps{Client: cl, Services: w.Cache("Service"), Pods: w.Cache("Pod"), Slices: w.Cache("EndpointSlice"), Clock: w.Clock}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.queue.ShutDown)
	w.Seed(apimeta.Wrap(webService()))
	objs := []*gantryv1.Object{}
	for _, n := range names("p", 0, 250) {
		objs = append(objs, apimeta.Wrap(buildPod(n, podOpts{})))
	}
	w.Seed(objs...)
	err = c.Reconcile(context.Background(), "default/web")
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("= %v, want UNAVAILABLE", err)
	}
	if cl.calls != 2 || w.Count("create", "EndpointSlice") != 1 {
		t.Fatalf("%d Batch calls, %d creates; want 2 calls, 1 create", cl.calls, w.Count("create", "EndpointSlice"))
	}
}

func TestConfigValidation(t *testing.T) {
	w := ctrltest.NewWorld()
	deps := Deps{Client: w, Services: w.Cache("Service"), Pods: w.Cache("Pod"), Slices: w.Cache("EndpointSlice")}
	for _, tc := range []struct {
		name string
		mut  func(*Config, *Deps)
	}{
		{"max 0", func(c *Config, _ *Deps) { c.MaxEndpointsPerSlice = 0 }},
		{"max 1001", func(c *Config, _ *Deps) { c.MaxEndpointsPerSlice = 1001 }},
		{"no workers", func(c *Config, _ *Deps) { c.Workers = 0 }},
		{"negative batch period", func(c *Config, _ *Deps) { c.BatchPeriod = -1 }},
		{"batch ops", func(c *Config, _ *Deps) { c.BatchOps = ctrl.MaxBatchOps + 1 }},
		{"no slices cache", func(_ *Config, d *Deps) { d.Slices = nil }},
	} {
		cfg, d := DefaultConfig(), deps
		tc.mut(&cfg, &d)
		if _, err := New(cfg, d, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New = %v, want ErrConfig", tc.name, err)
		}
	}
}
