package endpointslice

import (
	"slices"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

// TestManySlices: more than 100 endpoints make more slices; scaling down
// rewrites only the slices that lost endpoints, and compacts those; scaling
// up fills slices with room first.
func TestManySlices(t *testing.T) {
	tests := []struct {
		name string
		// remove is deleted after the first sync of 250 pods (p000-p249,
		// which fill slices in name order: 100, 100, 50).
		remove                    []string
		creates, updates, deletes int
		sizes                     string
		// untouched are the indexes (among the first sync's slices) that
		// must keep their resource_version.
		untouched []int
	}{
		{
			name:    "one slice empties, one shrinks",
			remove:  names("p", 150, 250),
			updates: 1, deletes: 1, sizes: "100,50", untouched: []int{0},
		},
		{
			name:    "all shrink: compacted into one",
			remove:  slices.Concat(names("p", 50, 100), names("p", 100, 180), names("p", 200, 240)),
			updates: 1, deletes: 2, sizes: "80",
		},
		{
			name:    "two shrink, one does not: only the two are compacted",
			remove:  slices.Concat(names("p", 100, 180), names("p", 200, 240)),
			updates: 1, deletes: 1, sizes: "100,30", untouched: []int{0},
		},
		{
			name:    "one endpoint goes",
			remove:  []string{"p120"},
			updates: 1, sizes: "100,99,50", untouched: []int{0, 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.seedService(webService())
			all := names("p", 0, 250)
			f.seedPods(podOpts{}, all...)
			f.sync("default/web")
			f.expectWrites(3, 0, 0)
			first := f.slicesOf("web")
			if got := sizes(first); got != "100,100,50" {
				t.Fatalf("sizes %s, want 100,100,50", got)
			}
			f.deletePods(tc.remove...)
			f.sync("default/web")
			f.expectWrites(tc.creates, tc.updates, tc.deletes)
			after := f.slicesOf("web")
			if got := sizes(after); got != tc.sizes {
				t.Errorf("sizes %s, want %s", got, tc.sizes)
			}
			for _, i := range tc.untouched {
				cur := f.w.Object(apimeta.KindEndpointSlice, ns, first[i].GetMetadata().GetName())
				if !proto.Equal(cur.GetEndpointSlice(), first[i]) {
					t.Errorf("slice %d (%s) was rewritten", i, first[i].GetMetadata().GetName())
				}
			}
			want := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(tc.remove, n) })
			if got := f.allPods("web", 100); !slices.Equal(got, want) {
				t.Fatalf("endpoints %d, want %d", len(got), len(want))
			}
			// Nothing more to do.
			f.sync("default/web")
			f.expectWrites(0, 0, 0)
			// Back to 250: slices with room fill up before new ones.
			f.seedPods(podOpts{}, tc.remove...)
			f.sync("default/web")
			if got := f.allPods("web", 100); !slices.Equal(got, all) {
				t.Fatalf("endpoints %d, want 250", len(got))
			}
			if n := len(f.slicesOf("web")); n != 3 {
				t.Fatalf("%d slices after scaling back up, want 3 (%s)", n, sizes(f.slicesOf("web")))
			}
		})
	}
}

// TestLeftoversFitIntoSliceWithRoom: a few new endpoints go into an
// unchanged slice with room, not into a new slice.
func TestLeftoversFitIntoSliceWithRoom(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, names("p", 0, 130)...)
	f.sync("default/web")
	f.expectWrites(2, 0, 0)
	f.seedPods(podOpts{}, names("q", 0, 20)...)
	f.sync("default/web")
	f.expectWrites(0, 1, 0)
	if got := sizes(f.slicesOf("web")); got != "100,50" {
		t.Fatalf("sizes %s, want 100,50", got)
	}
	// More than fit anywhere: a full new slice, the rest into room.
	f.seedPods(podOpts{}, names("r", 0, 120)...)
	f.sync("default/web")
	f.expectWrites(1, 1, 0)
	if got := f.allPods("web", 100); len(got) != 270 {
		t.Fatalf("%d endpoints, want 270", len(got))
	}
}

// TestMaxEndpointsPerSlice: the bound is a setting; slices written with a
// larger bound are split.
func TestMaxEndpointsPerSlice(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxEndpointsPerSlice = 10 })
	f.seedService(webService())
	f.seedPods(podOpts{}, names("p", 0, 25)...)
	f.sync("default/web")
	f.expectWrites(3, 0, 0)
	if got := sizes(f.slicesOf("web")); got != "10,10,5" {
		t.Fatalf("sizes %s, want 10,10,5", got)
	}
	f.c.cfg.MaxEndpointsPerSlice = 4
	f.sync("default/web")
	if got := f.allPods("web", 4); len(got) != 25 {
		t.Fatalf("%d endpoints, want 25", len(got))
	}
}

// TestReorderedSliceIsNotRewritten: content is compared ignoring the order
// of endpoints and ports.
func TestReorderedSliceIsNotRewritten(t *testing.T) {
	f := newFixture(t)
	f.seedService(newService("web", map[string]string{"app": "web"}, svcPort("http", 80, "8080"), svcPort("admin", 81, "8081")))
	f.seedPods(podOpts{}, "a", "b", "c")
	f.sync("default/web")
	f.expectWrites(1, 0, 0)
	s := f.slicesOf("web")[0]
	f.w.Mutate(apimeta.KindEndpointSlice, ns, s.GetMetadata().GetName(), func(o *gantryv1.Object) {
		es := o.GetEndpointSlice()
		slices.Reverse(es.Endpoints)
		slices.Reverse(es.Ports)
	})
	f.w.Sync()
	f.w.ResetActions()
	f.sync("default/web")
	f.expectWrites(0, 0, 0)
}

// TestIrrelevantPodChangeWritesNothing: a pod change endpoints do not show
// (restart count) neither queues the Service nor writes.
func TestIrrelevantPodChangeWritesNothing(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, "a")
	f.sync("default/web")
	f.expectWrites(1, 0, 0)
	drain(f)
	f.mutatePod("a", func(p *gantryv1.Pod) {
		p.Status.ContainerStatuses = []*gantryv1.ContainerStatus{{Name: "c", RestartCount: 3}}
	})
	if got := drain(f); len(got) != 0 {
		t.Fatalf("queued %v after a restart count change, want nothing", got)
	}
	f.sync("default/web")
	f.expectWrites(0, 0, 0)
}
