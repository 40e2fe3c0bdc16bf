package endpointslice

import (
	"slices"
	"sort"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// drain takes every ready key off the queue, sorted.
func drain(f *fixture) []string {
	var out []string
	for f.c.queue.Len() > 0 {
		k, ok := f.c.queue.Get()
		if !ok {
			break
		}
		f.c.queue.Done(k)
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestPodEventsQueueMatchingServices(t *testing.T) {
	f := newFixture(t)
	f.seedService(newService("web", map[string]string{"app": "web"}, svcPort("http", 80, "8080")))
	f.seedService(newService("all", map[string]string{"tier": "front"}, svcPort("http", 80, "8080")))
	f.seedService(newService("api", map[string]string{"app": "api"}, svcPort("http", 80, "8080")))
	f.seedService(newService("manual", nil, svcPort("http", 80, "8080")))
	f.w.Seed(apimeta.Wrap(&gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Name: "web", Namespace: "other"},
		Spec: &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web"}}}))
	drain(f)

	f.seedPods(podOpts{labels: map[string]string{"app": "web", "tier": "front"}}, "a")
	if got := drain(f); !slices.Equal(got, []string{"default/all", "default/web"}) {
		t.Fatalf("add: queued %v, want default/all default/web", got)
	}
	f.mutatePod("a", setReady("False"))
	if got := drain(f); !slices.Equal(got, []string{"default/all", "default/web"}) {
		t.Fatalf("readiness: queued %v", got)
	}
	// Relabelled from web to api: both are synced.
	f.mutatePod("a", func(p *gantryv1.Pod) { p.Metadata.Labels = map[string]string{"app": "api"} })
	if got := drain(f); !slices.Equal(got, []string{"default/all", "default/api", "default/web"}) {
		t.Fatalf("relabel: queued %v", got)
	}
	f.deletePods("a")
	if got := drain(f); !slices.Equal(got, []string{"default/api"}) {
		t.Fatalf("delete: queued %v", got)
	}
}

func TestBatchPeriodDelaysPodSyncs(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.BatchPeriod = 50 * time.Millisecond })
	f.seedService(webService())
	drain(f)
	f.seedPods(podOpts{}, "a", "b", "c")
	if got := drain(f); len(got) != 0 {
		t.Fatalf("queued %v before the batch period, want nothing", got)
	}
	f.w.Clock.Step(50 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for f.c.queue.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the queue's delay loop runs on its own goroutine
	}
	if got := drain(f); !slices.Equal(got, []string{"default/web"}) {
		t.Fatalf("queued %v after the batch period, want default/web once", got)
	}
}

// TestOwnWritesDoNotRequeue: the echo of the controller's own writes does
// not queue the Service; someone else's change to a managed slice does.
func TestOwnWritesDoNotRequeue(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, names("p", 0, 150)...)
	drain(f)
	f.sync("default/web")
	f.expectWrites(2, 0, 0)
	if got := drain(f); len(got) != 0 {
		t.Fatalf("queued %v by the controller's own creates", got)
	}
	if n := f.c.tracker.len(); n != 0 {
		t.Fatalf("tracker holds %d writes after their echo, want 0", n)
	}
	s := f.slicesOf("web")[0]
	f.w.Mutate(apimeta.KindEndpointSlice, ns, s.GetMetadata().GetName(), func(o *gantryv1.Object) {
		o.GetEndpointSlice().Endpoints = nil
	})
	f.w.Sync()
	if got := drain(f); !slices.Equal(got, []string{"default/web"}) {
		t.Fatalf("queued %v after someone else's update, want default/web", got)
	}
	f.sync("default/web")
	f.expectWrites(0, 1, 0)
	if got := f.allPods("web", 100); len(got) != 150 {
		t.Fatalf("%d endpoints after repair, want 150", len(got))
	}
	drain(f)
	f.w.Delete(t.Context(), &gantryv1.DeleteRequest{Kind: apimeta.KindEndpointSlice, Namespace: ns, Name: s.GetMetadata().GetName()})
	f.w.Sync()
	if got := drain(f); !slices.Equal(got, []string{"default/web"}) {
		t.Fatalf("queued %v after someone else's delete, want default/web", got)
	}
	f.w.ResetActions()
	f.sync("default/web")
	f.expectWrites(1, 0, 0)
	drain(f)
	// The controller's own delete is not an event to act on.
	f.deletePods(names("p", 0, 150)...)
	drain(f)
	f.sync("default/web")
	f.expectWrites(0, 1, 1)
	if got := drain(f); len(got) != 0 {
		t.Fatalf("queued %v by the controller's own update and delete", got)
	}
}
