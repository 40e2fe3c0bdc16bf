package api_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

const bookmarkEvery = 200 * time.Millisecond

// listRV returns the resource_version of a (linearizable) list on m: a
// watch from it sees every later change.
func listRV(t *testing.T, m *testutil.Member, kind, ns string) string {
	t.Helper()
	resp, err := m.Resource.List(ctxT(t), &gantryv1.ListRequest{Kind: kind, Namespace: ns})
	if err != nil {
		t.Fatalf("list %s in %q on %s: %v", kind, ns, m.ID, err)
	}
	return resp.GetResourceVersion()
}

// slowClient dials m with a small, fixed flow-control window, so that a
// server stream blocks as soon as this client stops reading.
func slowClient(t *testing.T, m *testutil.Member) gantryv1.ResourceServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(m.Cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStaticStreamWindowSize(64<<10), grpc.WithStaticConnWindowSize(64<<10),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return gantryv1.NewResourceServiceClient(conn)
}

// TestWatch checks the watch contract through the gRPC edge.
func TestWatch(t *testing.T) {
	c := newCluster(t, func(cfg *apiserver.Config) {
		cfg.Watch.BookmarkInterval = bookmarkEvery
		// One object per response during initial events, so that a test can
		// hold the server in the middle of them.
		cfg.Watch.MaxBatchEvents = 1
	})
	leader := c.Leader()
	f1, f2 := c.Followers()[0], c.Followers()[1]

	t.Run("initial events, then a bookmark, then changes", func(t *testing.T) {
		create(t, leader, namespace("w-init"))
		want := map[string]*gantryv1.Object{}
		for _, n := range []string{"c", "a", "b"} {
			want[n] = create(t, c.Members[len(want)], configMap("w-init", n, nil, map[string]string{"n": n}))
		}
		create(t, leader, configMap("default", "elsewhere", nil, nil))

		w := openWatch(t, f1, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-init", SendInitialEvents: true, AllowBookmarks: true})
		plain := openWatch(t, f2, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-init", SendInitialEvents: true})
		var maxRV uint64
		for _, n := range []string{"a", "b", "c"} { // key order
			ev := w.next(5 * time.Second)
			if ev.GetType() != added || !proto.Equal(ev.GetObject(), want[n]) || ev.GetResourceVersion() != rvOf(want[n]) {
				t.Fatalf("initial event: got %s %v at %s, want ADDED %s", ev.GetType(), ev.GetObject(), ev.GetResourceVersion(), n)
			}
			maxRV = max(maxRV, rvNum(t, rvOf(want[n])))
			if ev := plain.next(5 * time.Second); ev.GetType() != added || apimeta.Meta(ev.GetObject()).GetName() != n {
				t.Fatalf("initial event without bookmarks: got %s %s, want ADDED %s", ev.GetType(), apimeta.Meta(ev.GetObject()).GetName(), n)
			}
		}
		bm := w.next(5 * time.Second)
		if bm.GetType() != bookmark || bm.GetObject() != nil {
			t.Fatalf("after the initial events: got %s %v, want a BOOKMARK without object", bm.GetType(), bm.GetObject())
		}
		bmRV := rvNum(t, bm.GetResourceVersion())
		if bmRV < maxRV {
			t.Errorf("initial BOOKMARK at %d, before the newest initial object at %d", bmRV, maxRV)
		}

		d := create(t, leader, configMap("w-init", "d", nil, nil))
		a := proto.Clone(want["a"]).(*gantryv1.Object)
		a.GetConfigMap().Data["n"] = "A"
		a = update(t, f2, a)
		gone := del(t, f1, "ConfigMap", "w-init", "b")

		for _, s := range []*watchStream{w, plain} {
			if ev := s.expectChange(added, "d"); !proto.Equal(ev.GetObject(), d) {
				t.Errorf("live ADDED carries %v, want %v", ev.GetObject(), d)
			}
			if ev := s.expectChange(modified, "a"); !proto.Equal(ev.GetObject(), a) {
				t.Errorf("live MODIFIED carries %v, want %v", ev.GetObject(), a)
			}
			ev := s.expectChange(deleted, "b")
			if !proto.Equal(ev.GetObject(), gone) || ev.GetObject().GetConfigMap().GetData()["n"] != "b" {
				t.Errorf("DELETED carries %v, want the last state %v", ev.GetObject(), gone)
			}
			if rvNum(t, ev.GetResourceVersion()) <= rvNum(t, rvOf(a)) {
				t.Errorf("DELETED at %s, not after the update at %s", ev.GetResourceVersion(), rvOf(a))
			}
		}
		// The watch without bookmarks never gets one: its next event is the
		// next change, even after bookmark intervals with newer versions.
		for i := 0; i < 2; i++ {
			elsewhere := rvNum(t, rvOf(create(t, leader, configMap("default", fmt.Sprintf("init-elsewhere-%d", i), nil, nil))))
			for {
				ev := w.next(5 * time.Second)
				if ev.GetType() != bookmark {
					t.Fatalf("idle watch got %s, want BOOKMARK", ev.GetType())
				}
				if rvNum(t, ev.GetResourceVersion()) >= elsewhere {
					break
				}
			}
		}
		create(t, leader, configMap("w-init", "e", nil, nil))
		if ev := plain.next(5 * time.Second); ev.GetType() != added || apimeta.Meta(ev.GetObject()).GetName() != "e" {
			t.Fatalf("watch without bookmarks: got %s %v, want ADDED e", ev.GetType(), ev.GetObject())
		}
	})

	t.Run("initial events include every write that finished before the watch", func(t *testing.T) {
		create(t, leader, namespace("w-lin"))
		var want []string
		for i := 0; i < 5; i++ {
			o := create(t, leader, configMap("w-lin", fmt.Sprintf("lin-%d", i), nil, nil))
			want = append(want, "w-lin/"+apimeta.Meta(o).GetName())
			for _, f := range []*testutil.Member{f1, f2} {
				w := openWatch(t, f, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-lin", SendInitialEvents: true, AllowBookmarks: true})
				var got []*gantryv1.Object
				for {
					ev := w.next(5 * time.Second)
					if ev.GetType() == bookmark {
						if rvNum(t, ev.GetResourceVersion()) < rvNum(t, rvOf(o)) {
							t.Errorf("%s: initial BOOKMARK at %s, before %s written at %s had returned", f.ID, ev.GetResourceVersion(), apimeta.Meta(o).GetName(), rvOf(o))
						}
						break
					}
					got = append(got, ev.GetObject())
				}
				w.stop()
				if !slices.Equal(names(got), want) {
					t.Errorf("%s: initial events %v, want every object written before the watch: %v", f.ID, names(got), want)
				}
			}
		}
	})

	t.Run("resume on another master delivers exactly the later events", func(t *testing.T) {
		create(t, leader, namespace("w-resume"))
		start := listRV(t, c.Members[2], "ConfigMap", "w-resume")
		var created []*gantryv1.Object
		for i := 0; i < 50; i++ {
			created = append(created, create(t, c.Members[i%3], configMap("w-resume", fmt.Sprintf("obj-%02d", i), nil, nil)))
		}
		first := openWatch(t, c.Members[0], &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-resume", ResourceVersion: start})
		var resumeAt string
		for i := 0; i < 20; i++ {
			ev := first.expectChange(added, fmt.Sprintf("obj-%02d", i))
			if !proto.Equal(ev.GetObject(), created[i]) {
				t.Fatalf("event %d: %v, want %v", i+1, ev.GetObject(), created[i])
			}
			resumeAt = ev.GetResourceVersion()
		}
		first.stop()

		second := openWatch(t, c.Members[1], &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-resume", ResourceVersion: resumeAt})
		third := openWatch(t, c.Members[2], &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-resume", ResourceVersion: resumeAt, AllowBookmarks: true})
		for _, w := range []*watchStream{second, third} {
			for i := 20; i < 50; i++ {
				ev := w.expectChange(added, fmt.Sprintf("obj-%02d", i))
				if ev.GetResourceVersion() != rvOf(created[i]) || !proto.Equal(ev.GetObject(), created[i]) {
					t.Fatalf("resumed event %d: %v at %s, want %v", i+1, ev.GetObject(), ev.GetResourceVersion(), created[i])
				}
			}
		}
		// Nothing more: the next event on each is a fresh change.
		sentinel := create(t, leader, configMap("w-resume", "sentinel", nil, nil))
		for _, w := range []*watchStream{second, third} {
			if ev := w.expectChange(added, "sentinel"); ev.GetResourceVersion() != rvOf(sentinel) {
				t.Errorf("sentinel at %s, want %s", ev.GetResourceVersion(), rvOf(sentinel))
			}
		}
	})

	t.Run("resume from a version the master has not applied yet", func(t *testing.T) {
		// The follower learns of a commit a heartbeat later than the leader
		// answers the write: a watch from the newest version must wait for
		// it rather than replay older changes as if they were new.
		create(t, leader, namespace("w-lag"))
		for i := 0; i < 10; i++ {
			f := []*testutil.Member{f1, f2}[i%2]
			o := create(t, leader, configMap("w-lag", fmt.Sprintf("lag-%d", i), nil, nil))
			w := openWatch(t, f, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-lag", ResourceVersion: rvOf(o)})
			next := create(t, leader, configMap("w-lag", fmt.Sprintf("lag-%d-next", i), nil, nil))
			if ev := w.expectChange(added, apimeta.Meta(next).GetName()); ev.GetResourceVersion() != rvOf(next) {
				t.Fatalf("%s: first event after %s at %s, want %s", f.ID, rvOf(o), ev.GetResourceVersion(), rvOf(next))
			}
			w.stop()
		}
	})

	t.Run("selectors: ADDED on entering, DELETED on leaving", func(t *testing.T) {
		create(t, leader, namespace("w-sel"))
		from := listRV(t, f2, "ConfigMap", "w-sel")
		w := openWatch(t, f2, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-sel", LabelSelector: "app=web", ResourceVersion: from})

		x := create(t, leader, configMap("w-sel", "x", nil, map[string]string{"v": "1"}))
		x.GetConfigMap().Metadata.Labels = map[string]string{"app": "web"}
		x = update(t, f1, x)
		if ev := w.expectChange(added, "x"); !proto.Equal(ev.GetObject(), x) {
			t.Errorf("ADDED on entering the selector carries %v, want %v", ev.GetObject(), x)
		}
		x.GetConfigMap().Data["v"] = "2"
		x = update(t, leader, x)
		w.expectChange(modified, "x")
		matching := x
		x = proto.Clone(x).(*gantryv1.Object)
		x.GetConfigMap().Metadata.Labels = map[string]string{"app": "db"}
		x = update(t, f2, x)
		ev := w.expectChange(deleted, "x")
		if ev.GetResourceVersion() != rvOf(x) {
			t.Errorf("DELETED on leaving the selector at %s, want the update's %s", ev.GetResourceVersion(), rvOf(x))
		}
		// As in Kubernetes: the object as the watcher last saw it (it still
		// matches the selector), at the version of the change.
		if got := apimeta.Meta(ev.GetObject()).GetLabels()["app"]; got != "web" {
			t.Errorf("DELETED on leaving the selector carries labels %v, want the last matching state (app=web)", apimeta.Meta(ev.GetObject()).GetLabels())
		}
		if ev.GetObject().GetConfigMap().GetData()["v"] != matching.GetConfigMap().GetData()["v"] {
			t.Errorf("DELETED on leaving the selector carries %v, want the content of %v", ev.GetObject(), matching)
		}
		// Changes and deletion outside the selector are not seen.
		x.GetConfigMap().Data["v"] = "3"
		update(t, leader, x)
		del(t, leader, "ConfigMap", "w-sel", "x")
		create(t, leader, configMap("w-sel", "y", map[string]string{"app": "web"}, nil))
		w.expectChange(added, "y")
		del(t, f1, "ConfigMap", "w-sel", "y")
		w.expectChange(deleted, "y")

		// Field selectors follow the same rule.
		pw := openWatch(t, f1, &gantryv1.WatchRequest{Kind: "Pod", Namespace: "w-sel", FieldSelector: "status.phase=Running", ResourceVersion: from})
		p := create(t, leader, pod("w-sel", "p", "", nil))
		p.GetPod().Status = &gantryv1.PodStatus{Phase: "Running"}
		resp, err := leader.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: p})
		if err != nil {
			t.Fatal(err)
		}
		pw.expectChange(added, "p")
		p = resp.GetObject()
		p.GetPod().Status.Phase = "Succeeded"
		if _, err := f2.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: p}); err != nil {
			t.Fatal(err)
		}
		if ev := pw.expectChange(deleted, "p"); ev.GetObject().GetPod().GetStatus().GetPhase() != "Running" {
			t.Errorf("DELETED on leaving the field selector carries phase %q, want the last matching Running", ev.GetObject().GetPod().GetStatus().GetPhase())
		}
	})

	t.Run("a response never splits a write", func(t *testing.T) {
		// One namespace deletion removes five objects in one command; with
		// at most one event per response configured, they still arrive in
		// one response, so a client may resume after any whole response.
		create(t, leader, namespace("w-cascade"))
		for i := 0; i < 5; i++ {
			create(t, leader, configMap("w-cascade", fmt.Sprintf("c-%d", i), map[string]string{"app": "web"}, nil))
		}
		from := listRV(t, f1, "ConfigMap", "w-cascade")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stream, err := f1.Resource.Watch(ctx, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-cascade", LabelSelector: "app=web", ResourceVersion: from})
		if err != nil {
			t.Fatal(err)
		}
		ns := del(t, f2, "Namespace", "", "w-cascade")
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetEvents()) != 5 {
			t.Fatalf("first response after the namespace deletion holds %d events, want all 5 of the write", len(resp.GetEvents()))
		}
		for i, ev := range resp.GetEvents() {
			if ev.GetType() != deleted || apimeta.Meta(ev.GetObject()).GetName() != fmt.Sprintf("c-%d", i) || ev.GetResourceVersion() != rvOf(ns) {
				t.Errorf("event %d: %s %s at %s, want DELETED c-%d at %s", i, ev.GetType(), apimeta.Meta(ev.GetObject()).GetName(), ev.GetResourceVersion(), i, rvOf(ns))
			}
		}
	})

	t.Run("initial events honour selectors", func(t *testing.T) {
		create(t, leader, namespace("w-isel"))
		for i, app := range []string{"web", "db", "web", ""} {
			var l map[string]string
			if app != "" {
				l = map[string]string{"app": app}
			}
			create(t, leader, configMap("w-isel", fmt.Sprintf("i-%d", i), l, nil))
		}
		w := openWatch(t, f2, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-isel", LabelSelector: "app=web", FieldSelector: "metadata.name!=i-2", SendInitialEvents: true, AllowBookmarks: true})
		if ev := w.next(5 * time.Second); ev.GetType() != added || apimeta.Meta(ev.GetObject()).GetName() != "i-0" {
			t.Fatalf("got %s %v, want ADDED i-0", ev.GetType(), ev.GetObject())
		}
		if ev := w.next(5 * time.Second); ev.GetType() != bookmark {
			t.Fatalf("got %s %v, want the initial BOOKMARK", ev.GetType(), ev.GetObject())
		}
	})

	t.Run("idle watches get bookmarks", func(t *testing.T) {
		create(t, leader, namespace("w-idle"))
		from := rvNum(t, listRV(t, f1, "ConfigMap", "w-idle"))
		w := openWatch(t, f1, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-idle", AllowBookmarks: true, ResourceVersion: strconv.FormatUint(from, 10)})
		ev := w.next(10 * bookmarkEvery)
		if ev.GetType() != bookmark || rvNum(t, ev.GetResourceVersion()) < from {
			t.Fatalf("idle watch from %d: got %s at %s, want a BOOKMARK at %d or later", from, ev.GetType(), ev.GetResourceVersion(), from)
		}
		// Changes the watch filters out still move its bookmarks forward.
		last := rvNum(t, ev.GetResourceVersion())
		other := rvNum(t, rvOf(create(t, leader, configMap("default", "idle-elsewhere", nil, nil))))
		deadline := time.Now().Add(20 * bookmarkEvery)
		for last < other {
			ev := w.next(time.Until(deadline))
			if ev.GetType() != bookmark {
				t.Fatalf("filtered-out change leaked: %s %v", ev.GetType(), ev.GetObject())
			}
			rv := rvNum(t, ev.GetResourceVersion())
			if rv < last {
				t.Errorf("bookmark went back from %d to %d", last, rv)
			}
			last = rv
		}
		// A watch resumed from the bookmark on another master misses nothing.
		resumed := openWatch(t, f2, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-idle", ResourceVersion: strconv.FormatUint(last, 10)})
		create(t, leader, configMap("w-idle", "z", nil, nil))
		resumed.expectChange(added, "z")
		w.expectChange(added, "z")
	})

	t.Run("a namespace watch sees only its namespace", func(t *testing.T) {
		for _, ns := range []string{"w-ns-a", "w-ns-b"} {
			create(t, leader, namespace(ns))
		}
		from := listRV(t, leader, "ConfigMap", "")
		wa := openWatch(t, f2, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-ns-a", ResourceVersion: from})
		all := openWatch(t, f1, &gantryv1.WatchRequest{Kind: "ConfigMap", ResourceVersion: from})
		create(t, leader, configMap("w-ns-b", "one", nil, nil))
		create(t, f1, configMap("w-ns-a", "two", nil, nil))
		del(t, leader, "ConfigMap", "w-ns-b", "one")
		create(t, f2, configMap("w-ns-a", "three", nil, nil))
		for _, want := range []string{"two", "three"} {
			ev := wa.expectChange(added, want)
			if ns := apimeta.Meta(ev.GetObject()).GetNamespace(); ns != "w-ns-a" {
				t.Errorf("namespace watch got an object from %q", ns)
			}
		}
		all.expectChange(added, "one")
		all.expectChange(added, "two")
		all.expectChange(deleted, "one")
		all.expectChange(added, "three")
		// Other kinds never show up in a ConfigMap watch.
		create(t, leader, pod("w-ns-a", "pod", "", nil))
		create(t, leader, configMap("w-ns-a", "four", nil, nil))
		wa.expectChange(added, "four")
		all.expectChange(added, "four")
	})

	t.Run("initial events are consistent while writes go on", func(t *testing.T) {
		create(t, leader, namespace("w-snap"))
		blob := strings.Repeat("x", 16<<10)
		var objNames []string
		var objs []*gantryv1.Object
		for i := 0; i < 60; i++ {
			n := fmt.Sprintf("obj-%02d", i)
			objNames = append(objNames, n)
			objs = append(objs, configMap("w-snap", n, nil, map[string]string{"blob": blob, "gen": "1"}))
		}
		createAll(t, c, objs)
		// Open the watch on a client that does not read: the server blocks
		// after a few of the ~1 MB of initial events, in the middle of them.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stream, err := slowClient(t, f1).Watch(ctx, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "w-snap", SendInitialEvents: true, AllowBookmarks: true})
		if err != nil {
			t.Fatal(err)
		}
		firstResp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		// The server is now sending initial events. Change objects it has
		// sent, objects it has not, and add one after them all.
		touch := func(n string) *gantryv1.Object {
			o := get(t, leader, "ConfigMap", "w-snap", n)
			o.GetConfigMap().Data["gen"] = "2"
			return update(t, leader, o)
		}
		live := []struct {
			typ  gantryv1.WatchEventType
			name string
			rv   string
		}{
			{modified, "obj-00", rvOf(touch("obj-00"))},
			{modified, "obj-59", rvOf(touch("obj-59"))},
			{deleted, "obj-58", rvOf(del(t, leader, "ConfigMap", "w-snap", "obj-58"))},
			{added, "obj-zz", rvOf(create(t, leader, configMap("w-snap", "obj-zz", nil, nil)))},
		}

		// A sentinel marks the end: read until it arrives as a live change.
		sentinel := create(t, leader, configMap("w-snap", "sentinel", nil, nil))
		live = append(live, struct {
			typ  gantryv1.WatchEventType
			name string
			rv   string
		}{added, "sentinel", rvOf(sentinel)})

		var initial, changes []*gantryv1.WatchEvent
		var initialBookmark *gantryv1.WatchEvent
		pending := firstResp.GetEvents()
		for done := false; !done; {
			for _, ev := range pending {
				switch {
				case initialBookmark == nil && ev.GetType() == bookmark:
					initialBookmark = ev
				case initialBookmark == nil:
					initial = append(initial, ev)
				case ev.GetType() != bookmark: // later bookmarks are idle ones
					changes = append(changes, ev)
					done = done || apimeta.Meta(ev.GetObject()).GetName() == "sentinel"
				}
			}
			if done {
				break
			}
			resp, err := stream.Recv()
			if err != nil {
				t.Fatalf("after %d initial events and %d changes: %v", len(initial), len(changes), err)
			}
			pending = resp.GetEvents()
		}
		at := rvNum(t, initialBookmark.GetResourceVersion())
		if got := names(eventObjects(initial)); !slices.Equal(got, prefixed("w-snap/", objNames)) {
			t.Errorf("initial events\n%v\nwant the objects as they were when the watch began\n%v", got, prefixed("w-snap/", objNames))
		}
		for _, ev := range initial {
			n := apimeta.Meta(ev.GetObject()).GetName()
			if ev.GetType() != added {
				t.Errorf("initial event for %s is %s, want ADDED", n, ev.GetType())
			}
			if rv := rvNum(t, ev.GetResourceVersion()); rv > at {
				t.Errorf("initial %s at %d is newer than the initial BOOKMARK at %d: initial events are not one consistent view", n, rv, at)
			}
			if g := ev.GetObject().GetConfigMap().GetData()["gen"]; g != "1" {
				t.Errorf("initial %s shows gen %s, a change made after the watch began", n, g)
			}
		}
		if len(changes) != len(live) {
			t.Errorf("%d changes after the initial BOOKMARK, want %d", len(changes), len(live))
		}
		for i, ev := range changes {
			if i >= len(live) {
				break
			}
			want := live[i]
			if ev.GetType() != want.typ || apimeta.Meta(ev.GetObject()).GetName() != want.name || ev.GetResourceVersion() != want.rv {
				t.Errorf("change %d: %s %s at %s, want %s %s at %s", i, ev.GetType(), apimeta.Meta(ev.GetObject()).GetName(), ev.GetResourceVersion(), want.typ, want.name, want.rv)
			}
		}
	})
}

func eventObjects(evs []*gantryv1.WatchEvent) []*gantryv1.Object {
	out := make([]*gantryv1.Object, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.GetObject())
	}
	return out
}

func prefixed(p string, s []string) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		out = append(out, p+x)
	}
	return out
}

// TestWatchHistory checks what happens at the end of a master's event
// history: OUT_OF_RANGE naming the oldest version, both when a watch asks
// for too old a version and when a slow watcher falls off the log.
func TestWatchHistory(t *testing.T) {
	const logSize = 16
	c := newCluster(t, func(cfg *apiserver.Config) { cfg.Store.EventLogSize = logSize })
	leader := c.Leader()
	f1 := c.Followers()[0]

	var objs []*gantryv1.Object
	for i := 0; i < 100; i++ {
		objs = append(objs, configMap("default", fmt.Sprintf("h-%03d", i), nil, nil))
	}
	created := createAll(t, c, objs)
	last := apimeta.Meta(created[len(created)-1]).GetName()
	oldest := regexp.MustCompile(`oldest available (\d+)`)
	for _, m := range c.Members {
		// Every master has applied the last create before this read returns.
		get(t, m, "ConfigMap", "default", last)
		floor := m.Server().Store().Events().Floor()
		if floor <= 1 {
			t.Fatalf("%s: event log floor %d after 100 writes into %d slots", m.ID, floor, logSize)
		}
		err := openWatch(t, m, &gantryv1.WatchRequest{Kind: "ConfigMap", ResourceVersion: "1"}).err(5 * time.Second)
		wantStatus(t, err, codes.OutOfRange, "too old", fmt.Sprintf("oldest available %d", floor))
		match := oldest.FindStringSubmatch(err.Error())
		if match == nil {
			t.Fatalf("%s: OUT_OF_RANGE message %q does not name the oldest version", m.ID, err)
		}
		named, _ := strconv.ParseUint(match[1], 10, 64)

		// Just below the named version is too old; from it works, and
		// delivers exactly the events after it.
		below := openWatch(t, m, &gantryv1.WatchRequest{Kind: "ConfigMap", ResourceVersion: strconv.FormatUint(named-1, 10)})
		wantStatus(t, below.err(5*time.Second), codes.OutOfRange, "too old")
		w := openWatch(t, m, &gantryv1.WatchRequest{Kind: "ConfigMap", ResourceVersion: strconv.FormatUint(named, 10)})
		for _, o := range created {
			if rvNum(t, rvOf(o)) <= named {
				continue
			}
			w.expectChange(added, apimeta.Meta(o).GetName())
		}
		// The way back: list, then watch from the list's version.
		from := listRV(t, m, "ConfigMap", "default")
		rw := openWatch(t, m, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "default", ResourceVersion: from})
		name := "after-relist-" + m.ID
		created = append(created, create(t, leader, configMap("default", name, nil, nil)))
		rw.expectChange(added, name)
		w.expectChange(added, name)
	}

	t.Run("a watcher that falls behind the log gets OUT_OF_RANGE", func(t *testing.T) {
		from := listRV(t, f1, "ConfigMap", "default")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stream, err := slowClient(t, f1).Watch(ctx, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "default", ResourceVersion: from})
		if err != nil {
			t.Fatal(err)
		}
		// The client reads nothing while ~1 MB of changes go by: the
		// server can hand it a few, then its position leaves the log.
		blob := strings.Repeat("y", 16<<10)
		for i := 0; i < 3*logSize; i++ {
			create(t, leader, configMap("default", fmt.Sprintf("slow-%02d", i), nil, map[string]string{"blob": blob}))
		}
		got := 0
		for {
			resp, err := stream.Recv()
			if err != nil {
				wantStatus(t, err, codes.OutOfRange, "fell behind", "oldest available")
				break
			}
			for _, ev := range resp.GetEvents() {
				if want := fmt.Sprintf("slow-%02d", got); apimeta.Meta(ev.GetObject()).GetName() != want {
					t.Fatalf("event %d is %s %s, want ADDED %s", got, ev.GetType(), apimeta.Meta(ev.GetObject()).GetName(), want)
				}
				got++
			}
			if got >= 3*logSize {
				t.Fatalf("a watcher that read nothing during %d writes into a %d-event log got every event", 3*logSize, logSize)
			}
		}
	})
}
