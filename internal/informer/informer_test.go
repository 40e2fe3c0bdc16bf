package informer

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/client/clienttest"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestListThenWatch(t *testing.T) {
	lw := newFakeLW()
	mustCreate(t, lw.store, pod("a", "n1"))
	mustCreate(t, lw.store, pod("b", "n1"))
	mustCreate(t, lw.store, apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "cm"}}))
	inf, rec := started(t, lw, nil, nil)
	if !inf.HasSynced() || inf.LastSyncResourceVersion() != "3" {
		t.Fatalf("synced=%v at %q, want true at 3", inf.HasSynced(), inf.LastSyncResourceVersion())
	}
	wantEvents(t, rec, "add default/a@1", "add default/b@2")

	mustCreate(t, lw.store, pod("c", "n2"))
	mustUpdate(t, lw.store, pod("a", "n2"))
	mustDelete(t, lw.store, "b")
	wantEvents(t, rec, "add default/a@1", "add default/b@2",
		"add default/c@4", "update default/a 1->5", "delete default/b@2")
	eventually(t, "the last version", func() bool { return inf.LastSyncResourceVersion() == "6" })
	if got := names(inf.Store().List()); got != "a,c" {
		t.Fatalf("cache holds %s, want a,c", got)
	}
	if o, ok := inf.Store().Get("default", "a"); !ok || o.GetPod().GetSpec().GetNodeName() != "n2" {
		t.Fatalf("Get(a) = %v, %v; want the updated pod", o, ok)
	}
	if _, ok := inf.Store().Get("default", "b"); ok {
		t.Fatal("deleted pod b still cached")
	}
	if lists, _ := lw.counts(); lists != 1 {
		t.Fatalf("%d lists, want 1", lists)
	}
}

func TestBookmarksAdvanceLastSyncVersion(t *testing.T) {
	lw := newFakeLW()
	mustCreate(t, lw.store, pod("a", ""))
	inf, _ := started(t, lw, nil, nil)
	// Writes of another kind move the store on without pod events.
	for i := range 3 {
		mustCreate(t, lw.store, apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: fmt.Sprint(i)}}))
	}
	eventually(t, "the watch to open", func() bool { return lw.store.WatchesOpened() == 1 })
	lw.store.Bookmark()
	eventually(t, "the bookmark's version", func() bool { return inf.LastSyncResourceVersion() == "4" })
}

func TestPagingWatchesFromFirstPageAndIgnoresReplays(t *testing.T) {
	lw := newFakeLW()
	for i := range 7 {
		mustCreate(t, lw.store, pod(fmt.Sprintf("p%d", i), "")) // versions 1..7
	}
	// Between page 1 (read at 7) and page 2 the store moves on, so later
	// pages hold state newer than the watch's starting point.
	lw.afterNth[1] = func() {
		mustUpdate(t, lw.store, pod("p5", "n1")) // 8, seen by page 3
		mustCreate(t, lw.store, pod("p9", ""))   // 9, seen by page 4
		mustDelete(t, lw.store, "p6")            // 10, missing from page 4
		mustUpdate(t, lw.store, pod("p0", "n1")) // 11, page 1 was read before it
	}
	inf, rec := started(t, lw, func(c *Config) { c.PageSize = 2 }, nil)
	if lists, _ := lw.counts(); lists != 4 {
		t.Fatalf("%d List calls, want 4 pages", lists)
	}
	eventually(t, "the watch to catch up", func() bool { return inf.LastSyncResourceVersion() == "11" })
	// The replayed events 8, 9 and 10 change nothing; 11 is news.
	wantEvents(t, rec, "add default/p0@1", "add default/p1@2", "add default/p2@3", "add default/p3@4",
		"add default/p4@5", "add default/p5@8", "add default/p9@9", "update default/p0 1->11")
	if got := names(inf.Store().List()); got != "p0,p1,p2,p3,p4,p5,p9" {
		t.Fatalf("cache holds %s", got)
	}
}

func TestRelistAfterExpiryReconciles(t *testing.T) {
	lw := newFakeLW()
	for _, n := range []string{"a", "b", "c"} {
		mustCreate(t, lw.store, pod(n, ""))
	}
	inf, rec := started(t, lw, nil, nil)
	wantEvents(t, rec, "add default/a@1", "add default/b@2", "add default/c@3")

	// Cut the watch off, change things, and forget the history it needs.
	eventually(t, "the watch to open", func() bool { return lw.store.WatchesOpened() == 1 })
	lw.closed.Store(true)
	lw.store.BreakWatches()
	_, opens := lw.counts()
	eventually(t, "a failed reopen", func() bool { _, n := lw.counts(); return n > opens })
	mustUpdate(t, lw.store, pod("b", "n1")) // 4
	mustDelete(t, lw.store, "c")            // 5
	mustCreate(t, lw.store, pod("d", ""))   // 6
	lw.store.Compact()
	lw.closed.Store(false)

	wantEvents(t, rec, "add default/a@1", "add default/b@2", "add default/c@3",
		"update default/b 2->4", "add default/d@6", "delete default/c@3")
	if lists, _ := lw.counts(); lists != 2 {
		t.Fatalf("%d lists, want 2 (one relist after OUT_OF_RANGE)", lists)
	}
	eventually(t, "the relist's version", func() bool { return inf.LastSyncResourceVersion() == "6" })
	if got := names(inf.Store().List()); got != "a,b,d" {
		t.Fatalf("cache holds %s, want a,b,d", got)
	}
	// The informer watches again after the relist.
	mustDelete(t, lw.store, "a")
	eventually(t, "the delete after relisting", func() bool { _, ok := inf.Store().Get("default", "a"); return !ok })
}

func TestWatchBreaksLoseAndDuplicateNothing(t *testing.T) {
	lw := newFakeLW()
	_, rec := started(t, lw, nil, nil)
	const total = 300
	for i := range total {
		mustCreate(t, lw.store, pod(fmt.Sprintf("p%03d", i), ""))
		if i%50 == 25 {
			lw.store.BreakWatches()
		}
	}
	eventually(t, "every add", func() bool { return rec.len() >= total })
	got := rec.events()
	if len(got) != total {
		t.Fatalf("%d handler calls for %d creates", len(got), total)
	}
	for i, e := range got {
		if want := fmt.Sprintf("add default/p%03d@%d", i, i+1); e != want {
			t.Fatalf("call %d = %q, want %q", i, e, want)
		}
	}
	if lists, _ := lw.counts(); lists != 1 {
		t.Fatalf("%d lists, want 1: breaks must resume, not relist", lists)
	}
}

func TestFinalWatchErrorResumesWithoutRelist(t *testing.T) {
	lw := newFakeLW()
	mustCreate(t, lw.store, pod("a", ""))
	inf, rec := started(t, lw, nil, nil)
	mustCreate(t, lw.store, pod("b", ""))
	eventually(t, "b", func() bool { return rec.len() == 2 })
	// The Watcher gives up on INTERNAL; the informer backs off and watches
	// again from version 2.
	lw.mu.Lock()
	lw.openErrs = []error{status.Error(codes.Internal, "fake: boom")}
	lw.mu.Unlock()
	lw.store.BreakWatches()
	mustCreate(t, lw.store, pod("c", ""))
	wantEvents(t, rec, "add default/a@1", "add default/b@2", "add default/c@3")
	if lists, opens := lw.counts(); lists != 1 || opens < 3 {
		t.Fatalf("%d lists and %d opens; want 1 list and at least 3 opens", lists, opens)
	}
	eventually(t, "version 3", func() bool { return inf.LastSyncResourceVersion() == "3" })
}

func TestIndexes(t *testing.T) {
	lw := newFakeLW()
	mustCreate(t, lw.store, pod("a", "n1"))
	mustCreate(t, lw.store, pod("b", "n2"))
	mustCreate(t, lw.store, pod("unbound", ""))
	byNode := func(o *gantryv1.Object) []string {
		if n := o.GetPod().GetSpec().GetNodeName(); n != "" {
			return []string{n}
		}
		return nil
	}
	inf, rec := started(t, lw, nil, func(inf *Informer) {
		if err := inf.AddIndex("node", byNode); err != nil {
			t.Fatal(err)
		}
	})
	byIndex := func(idx, v string) string {
		t.Helper()
		objs, err := inf.Store().ListByIndex(idx, v)
		if err != nil {
			t.Fatal(err)
		}
		return names(objs)
	}
	if got := byIndex("node", "n1"); got != "a" {
		t.Fatalf("node n1 holds %q, want a", got)
	}
	mustUpdate(t, lw.store, pod("a", "n2"))
	mustUpdate(t, lw.store, pod("unbound", "n1"))
	eventually(t, "the updates", func() bool { return rec.len() == 5 })
	if n1, n2 := byIndex("node", "n1"), byIndex("node", "n2"); n1 != "unbound" || n2 != "a,b" {
		t.Fatalf("n1=%q n2=%q; want unbound and a,b", n1, n2)
	}
	mustDelete(t, lw.store, "b")
	eventually(t, "the delete", func() bool { return rec.len() == 6 })
	if got := byIndex("node", "n2"); got != "a" {
		t.Fatalf("n2 holds %q after deleting b, want a", got)
	}

	// An index added while running covers what is cached.
	if err := inf.AddIndex(NamespaceIndex, IndexByNamespace); err != nil {
		t.Fatal(err)
	}
	if got := byIndex(NamespaceIndex, "default"); got != "a,unbound" {
		t.Fatalf("namespace index holds %q", got)
	}
	if err := inf.AddIndex("node", byNode); !errors.Is(err, ErrIndexExists) {
		t.Fatalf("duplicate AddIndex: %v", err)
	}
	if _, err := inf.Store().ListByIndex("nope", "x"); !errors.Is(err, ErrNoIndex) {
		t.Fatalf("unknown index: %v", err)
	}
}

func TestLifecycleErrors(t *testing.T) {
	if _, err := New(newFakeLW(), Config{Kind: "Widget"}, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("New(Widget) = %v, want ErrConfig", err)
	}
	inf, _ := started(t, newFakeLW(), nil, nil)
	if err := inf.Run(context.Background()); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Run = %v, want ErrStarted", err)
	}
	if err := inf.AddEventHandler(Handler{}); !errors.Is(err, ErrStarted) {
		t.Fatalf("AddEventHandler after Run = %v, want ErrStarted", err)
	}
}

// badList rejects every list as a bad selector.
type badList struct{ ListWatcher }

func (badList) List(context.Context, *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	return nil, status.Error(codes.InvalidArgument, "label_selector: bad")
}

func TestPermanentErrorEndsRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Kind = apimeta.KindPod
	inf, err := New(badList{}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inf.Run(ctx); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Run = %v, want INVALID_ARGUMENT", err)
	}
	if err := inf.WaitForSync(ctx); !errors.Is(err, ErrStopped) {
		t.Fatalf("WaitForSync = %v, want ErrStopped", err)
	}
}

func TestOverGRPCWithRealClient(t *testing.T) {
	store := clienttest.NewStore()
	mustCreate(t, store, pod("a", ""))
	srvA, srvB := clienttest.Start(t, store), clienttest.Start(t, store)
	cfg := client.DefaultConfig()
	cfg.Servers = []string{srvA.Addr(), srvB.Addr()}
	cfg.RetryBackoff = fastBackoff()
	c, err := client.New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inf, rec := started(t, c, func(c *Config) { c.PageSize = 1 }, nil)
	mustCreate(t, store, pod("b", ""))
	store.BreakWatches()
	mustCreate(t, store, pod("c", ""))
	wantEvents(t, rec, "add default/a@1", "add default/b@2", "add default/c@3")
	if got := names(inf.Store().List()); got != "a,b,c" {
		t.Fatalf("cache holds %s", got)
	}
}
