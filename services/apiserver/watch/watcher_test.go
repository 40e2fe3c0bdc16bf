package watch

import (
	"context"
	"sync"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/protobuf/proto"
)

// sink records what a watch sends, decoding each frame as a client would.
type sink struct {
	ctx  context.Context
	mu   sync.Mutex
	resp []*gantryv1.WatchResponse
}

func (s *sink) Context() context.Context { return s.ctx }

func (s *sink) SendMsg(m any) error {
	r := &gantryv1.WatchResponse{}
	if err := proto.Unmarshal(m.(*Frame).Bytes(), r); err != nil {
		return err
	}
	s.mu.Lock()
	s.resp = append(s.resp, r)
	s.mu.Unlock()
	return nil
}

func (s *sink) events() []*gantryv1.WatchEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*gantryv1.WatchEvent
	for _, r := range s.resp {
		out = append(out, r.GetEvents()...)
	}
	return out
}

type caughtUp struct{}

func (caughtUp) WaitApplied(context.Context, uint64) error { return nil }

var index uint64 = 10

func apply(st *store.Store, ops ...*storagev1.Op) {
	index++
	st.Apply(&storagev1.Command{Ops: ops}, index)
}

func create(o *gantryv1.Object) *storagev1.Op {
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_CREATE, Object: o}
}

func cm(name string, lbl map[string]string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", Labels: lbl}})
}

func newStore() *store.Store {
	st := store.New(store.DefaultConfig())
	apply(st, create(apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "default"}})))
	return st
}

func serve(t *testing.T, cfg Config, st *store.Store, req *gantryv1.WatchRequest, f *Filter) (*sink, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &sink{ctx: ctx}
	done := make(chan error, 1)
	go func() { done <- New(cfg, st, caughtUp{}).Serve(ctx, req, f, out) }()
	return out, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBookmarksUnderUnrelatedChurn(t *testing.T) {
	st := newStore()
	cfgKind, _ := apimeta.Lookup(apimeta.KindConfigMap)
	sel, _ := selector.ParseLabels("app=mine")
	cfg := DefaultConfig()
	cfg.BookmarkInterval = 20 * time.Millisecond
	out, stop := serve(t, cfg, st, &gantryv1.WatchRequest{AllowBookmarks: true}, &Filter{Kind: cfgKind, Labels: sel})
	defer stop()
	// Writes that never match keep the watcher busy, never idle.
	var last uint64
	waitFor(t, func() bool {
		apply(st, create(cm("other-"+apimeta.FormatResourceVersion(index), map[string]string{"app": "theirs"})))
		last = index
		for _, e := range out.events() {
			if e.GetType() == gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK {
				return true
			}
		}
		return false
	})
	for _, e := range out.events() {
		if e.GetType() != gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK {
			t.Fatalf("watcher got a non-matching event: %v", e)
		}
		rv, _ := apimeta.ParseResourceVersion(e.GetResourceVersion())
		if rv == 0 || rv > last {
			t.Fatalf("bookmark at %d, but only %d has been written", rv, last)
		}
	}
}

func TestSelectorTransitionsAndWholeCommands(t *testing.T) {
	st := newStore()
	info, _ := apimeta.Lookup(apimeta.KindConfigMap)
	sel, _ := selector.ParseLabels("app=web")
	cfg := DefaultConfig()
	cfg.MaxBatchEvents = 1
	from := apimeta.FormatResourceVersion(st.Revision())
	out, stop := serve(t, cfg, st, &gantryv1.WatchRequest{ResourceVersion: from}, &Filter{Kind: info, Labels: sel})
	defer stop()
	// One command with three creates: must arrive in one response although
	// MaxBatchEvents is 1.
	apply(st, create(cm("a", map[string]string{"app": "web"})), create(cm("b", map[string]string{"app": "web"})), create(cm("c", nil)))
	cur, _, _ := st.Get(apimeta.KindConfigMap, "default", "c")
	relabel := proto.Clone(cur).(*gantryv1.Object)
	apimeta.Meta(relabel).Labels = map[string]string{"app": "web"}
	apply(st, &storagev1.Op{Type: storagev1.OpType_OP_TYPE_UPDATE, Object: relabel})
	cur, _, _ = st.Get(apimeta.KindConfigMap, "default", "a")
	unlabel := proto.Clone(cur).(*gantryv1.Object)
	apimeta.Meta(unlabel).Labels = nil
	apply(st, &storagev1.Op{Type: storagev1.OpType_OP_TYPE_UPDATE, Object: unlabel})
	waitFor(t, func() bool { return len(out.events()) == 4 })
	out.mu.Lock()
	first := out.resp[0]
	out.mu.Unlock()
	if len(first.GetEvents()) != 2 {
		t.Fatalf("first response has %d events, want both matching creates of the command", len(first.GetEvents()))
	}
	want := []struct {
		t    gantryv1.WatchEventType
		name string
	}{
		{gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, "a"},
		{gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, "b"},
		{gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, "c"},   // started matching
		{gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED, "a"}, // stopped matching
	}
	for i, e := range out.events() {
		if e.GetType() != want[i].t || apimeta.Meta(e.GetObject()).GetName() != want[i].name {
			t.Fatalf("event %d = %v %s, want %v %s", i, e.GetType(), apimeta.Meta(e.GetObject()).GetName(), want[i].t, want[i].name)
		}
	}
}
