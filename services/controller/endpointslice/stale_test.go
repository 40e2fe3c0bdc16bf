package endpointslice

import (
	"context"
	"errors"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestStaleCacheWaitsForOwnWrites: until the cache shows the controller's
// own writes, a sync does nothing and asks to be retried (a conflict, not
// an error); then it finds nothing left to do.
func TestStaleCacheWaitsForOwnWrites(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, names("p", 0, 150)...)
	ctx := context.Background()
	if err := f.c.Reconcile(ctx, "default/web"); err != nil {
		t.Fatal(err)
	}
	f.expectWrites(2, 0, 0)
	for range 3 {
		err := f.c.Reconcile(ctx, "default/web")
		if status.Code(err) != codes.Aborted || !ctrl.IsConflict(err) {
			t.Fatalf("reconcile on a stale cache = %v, want ABORTED", err)
		}
	}
	f.expectWrites(0, 0, 0)
	f.w.Sync()
	f.sync("default/web")
	f.expectWrites(0, 0, 0)

	// A delete not yet seen holds syncs back too.
	f.deletePods(names("p", 0, 150)...)
	if err := f.c.Reconcile(ctx, "default/web"); err != nil {
		t.Fatal(err)
	}
	f.expectWrites(0, 1, 1)
	if err := f.c.Reconcile(ctx, "default/web"); !ctrl.IsConflict(err) {
		t.Fatalf("reconcile before the delete is seen = %v, want a conflict", err)
	}
	f.w.Sync()
	f.sync("default/web")
	f.expectWrites(0, 0, 0)
}

// TestTrackerTTL: a write whose echo never comes holds syncs back for
// TrackerTTL at most.
func TestTrackerTTL(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, "a")
	if err := f.c.Reconcile(context.Background(), "default/web"); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Reconcile(context.Background(), "default/web"); !ctrl.IsConflict(err) {
		t.Fatalf("= %v, want a conflict", err)
	}
	f.w.Clock.Step(DefaultConfig().TrackerTTL + time.Second)
	if err := f.c.Reconcile(context.Background(), "default/web"); err != nil {
		t.Fatalf("after the TTL = %v, want a sync", err)
	}
}

// TestStaleSliceUpdateConflicts: a slice someone changed after the cache
// saw it makes the update fail on its resource_version; the retry after
// the cache catches up succeeds.
func TestStaleSliceUpdateConflicts(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, "a", "b")
	f.sync("default/web")
	f.expectWrites(1, 0, 0)
	s := f.slicesOf("web")[0]
	f.mutatePod("a", setReady("False"))
	// Someone else's write the cache has not seen.
	f.w.Mutate(apimeta.KindEndpointSlice, ns, s.GetMetadata().GetName(), func(o *gantryv1.Object) {
		o.GetEndpointSlice().Metadata.Annotations = map[string]string{"x": "y"}
	})
	err := f.c.Reconcile(context.Background(), "default/web")
	if status.Code(err) != codes.Aborted {
		t.Fatalf("update from a stale slice = %v, want ABORTED", err)
	}
	f.w.Sync()
	f.sync("default/web")
	got := f.slicesOf("web")[0]
	if got.GetMetadata().GetAnnotations()["x"] != "y" {
		t.Errorf("the other writer's annotation was lost: %v", got.GetMetadata())
	}
	for _, ep := range got.GetEndpoints() {
		if ready := ep.GetConditions().GetReady(); ready != (ep.GetTargetRef().GetName() == "b") {
			t.Errorf("%s: ready %v after the retry", ep.GetTargetRef().GetName(), ready)
		}
	}
}

func TestStaleDeleteConflicts(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, names("p", 0, 101)...)
	f.sync("default/web")
	f.expectWrites(2, 0, 0)
	small := f.slicesOf("web")[1]
	if len(small.GetEndpoints()) != 1 {
		t.Fatalf("second slice has %d endpoints, want 1", len(small.GetEndpoints()))
	}
	f.deletePods(small.GetEndpoints()[0].GetTargetRef().GetName())
	// Someone else touches the slice about to be deleted; the cache has
	// not seen it.
	f.w.Mutate(apimeta.KindEndpointSlice, ns, small.GetMetadata().GetName(), func(o *gantryv1.Object) {
		o.GetEndpointSlice().Metadata.Annotations = map[string]string{"x": "y"}
	})
	err := f.c.Reconcile(context.Background(), "default/web")
	if !ctrl.IsConflict(err) {
		t.Fatalf("delete from a stale slice = %v, want a conflict", err)
	}
	var st interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &st) {
		t.Fatalf("error %v carries no status", err)
	}
}
