package store

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Shared fixtures for the store tests: object builders, op builders and a
// harness that applies commands at predictable indices and checks the
// invariants every command must keep (revision, event Rev and Last flag).

var (
	created = timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	now     = timestamppb.New(time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC))
	later   = timestamppb.New(time.Date(2026, 2, 3, 4, 6, 0, 0, time.UTC))
)

const (
	evAdded    = gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED
	evModified = gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED
	evDeleted  = gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED
)

func meta(ns, name string, finalizers ...string) *gantryv1.ObjectMeta {
	return &gantryv1.ObjectMeta{
		Name: name, Namespace: ns, Uid: "uid-" + ns + "-" + name,
		CreationTimestamp: created, Finalizers: finalizers,
	}
}

func nsObj(name string, finalizers ...string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Namespace{Metadata: meta("", name, finalizers...),
		Status: &gantryv1.NamespaceStatus{Phase: "Active"}})
}

func nodeObj(name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Node{Metadata: meta("", name), Spec: &gantryv1.NodeSpec{PodCidr: "10.0.0.0/24"}})
}

func cmObj(ns, name string, data map[string]string, finalizers ...string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ConfigMap{Metadata: meta(ns, name, finalizers...), Data: data})
}

func deployObj(ns, name string, replicas int32) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Deployment{Metadata: meta(ns, name),
		Spec: &gantryv1.DeploymentSpec{Replicas: proto.Int32(replicas)}})
}

// podObj is a pod, bound to node when node is not empty.
func podObj(ns, name, node string, finalizers ...string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Pod{Metadata: meta(ns, name, finalizers...),
		Spec: &gantryv1.PodSpec{NodeName: node, Containers: []*gantryv1.Container{{Name: "c", Image: "busybox"}}}})
}

func createOp(o *gantryv1.Object) *storagev1.Op {
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_CREATE, Object: o, Now: now}
}

func updateOp(o *gantryv1.Object, rv uint64) *storagev1.Op {
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_UPDATE, Object: o, ExpectResourceVersion: rv, Now: now}
}

func statusOp(o *gantryv1.Object, rv uint64) *storagev1.Op {
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_UPDATE_STATUS, Object: o, ExpectResourceVersion: rv, Now: now}
}

func deleteOp(kind, ns, name string) *storagev1.Op {
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_DELETE, Kind: kind, Namespace: ns, Name: name, Now: now}
}

func graceDeleteOp(kind, ns, name string, grace int64) *storagev1.Op {
	op := deleteOp(kind, ns, name)
	op.GracePeriodSeconds = proto.Int64(grace)
	return op
}

func memberOp(id, raft, api string) *storagev1.Op {
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_SET_MEMBER,
		Member: &storagev1.MemberInfo{Id: id, RaftAddress: raft, ApiAddress: api}}
}

func rvOf(t testing.TB, o *gantryv1.Object) uint64 {
	t.Helper()
	rv, err := apimeta.ParseResourceVersion(apimeta.Meta(o).GetResourceVersion())
	if err != nil {
		t.Fatalf("resource_version %q: %v", apimeta.Meta(o).GetResourceVersion(), err)
	}
	return rv
}

// harness drives one store. Commands go in at indices 10, 20, 30, ... so
// that a resource_version is visibly the Raft index and not a counter.
type harness struct {
	t   testing.TB
	s   *Store
	idx uint64
	cur Cursor
}

const indexStep = 10

func newHarness(t testing.TB) *harness {
	t.Helper()
	s := New(DefaultConfig())
	c, err := s.Events().CursorAfter(0)
	if err != nil {
		t.Fatalf("CursorAfter(0) on a new store: %v", err)
	}
	return &harness{t: t, s: s, cur: c}
}

// nextIndex is the index the next command will be applied at.
func (h *harness) nextIndex() uint64 { return h.idx + indexStep }

// apply applies ops as one command, as a follower would: from a decoded
// copy of the proposed bytes, so the caller's ops are not shared with the
// store. It returns the results and the events of this command, after
// checking that the revision advanced to the index and that the events
// carry the index with Last set on the final one only.
func (h *harness) apply(ops ...*storagev1.Op) ([]Result, []*Event) {
	h.t.Helper()
	h.idx += indexStep
	res := h.s.Apply(decoded(h.t, &storagev1.Command{Version: 1, Ops: ops}), h.idx)
	if len(res) != len(ops) {
		h.t.Fatalf("Apply returned %d results for %d ops", len(res), len(ops))
	}
	if got := h.s.Revision(); got != h.idx {
		h.t.Fatalf("Revision() = %d after applying index %d", got, h.idx)
	}
	if got := h.s.Events().LastRev(); got != h.idx {
		h.t.Fatalf("Events().LastRev() = %d after applying index %d", got, h.idx)
	}
	evs, next, _, err := h.s.Events().Read(h.cur, 1<<20, nil)
	if err != nil {
		h.t.Fatalf("reading the events of index %d: %v", h.idx, err)
	}
	h.cur = next
	checkCommandEvents(h.t, h.idx, evs)
	return res, evs
}

// mustApply applies ops and fails the test when any op fails.
func (h *harness) mustApply(ops ...*storagev1.Op) ([]Result, []*Event) {
	h.t.Helper()
	res, evs := h.apply(ops...)
	for i, r := range res {
		if r.Err != nil {
			h.t.Fatalf("index %d op %d (%v): %v", h.idx, i, ops[i].GetType(), r.Err)
		}
	}
	return res, evs
}

// mustApply1 applies one op that must succeed and returns its object.
func (h *harness) mustApply1(op *storagev1.Op) *gantryv1.Object {
	h.t.Helper()
	res, _ := h.mustApply(op)
	return res[0].Object
}

func (h *harness) get(kind, ns, name string) *gantryv1.Object {
	h.t.Helper()
	o, rev, err := h.s.Get(kind, ns, name)
	if err != nil {
		h.t.Fatalf("Get(%s %s/%s): %v", kind, ns, name, err)
	}
	if rev != h.s.Revision() {
		h.t.Fatalf("Get returned revision %d, store is at %d", rev, h.s.Revision())
	}
	return o
}

func (h *harness) absent(kind, ns, name string) {
	h.t.Helper()
	if o, _, err := h.s.Get(kind, ns, name); err == nil {
		h.t.Fatalf("Get(%s %s/%s) = %v, want ErrNotFound", kind, ns, name, o)
	} else if err != ErrNotFound {
		h.t.Fatalf("Get(%s %s/%s) error %v, want ErrNotFound", kind, ns, name, err)
	}
}

// checkCommandEvents checks the events of one command applied at rev.
func checkCommandEvents(t testing.TB, rev uint64, evs []*Event) {
	t.Helper()
	for i, e := range evs {
		if e.Rev != rev {
			t.Fatalf("event %d of index %d has Rev %d", i, rev, e.Rev)
		}
		if want := i == len(evs)-1; e.Last != want {
			t.Fatalf("event %d of %d at index %d: Last = %v, want %v", i, len(evs), rev, e.Last, want)
		}
		if e.Kind == nil || e.Kind.Name != apimeta.KindOf(e.Object) {
			t.Fatalf("event %d: Kind %v does not match object kind %q", i, e.Kind, apimeta.KindOf(e.Object))
		}
		if (e.Type == evAdded) != (e.Prev == nil) {
			t.Fatalf("event %d (%v): Prev = %v; Prev must be nil exactly for ADDED", i, e.Type, e.Prev)
		}
		if got := apimeta.Meta(e.Object).GetResourceVersion(); got != apimeta.FormatResourceVersion(rev) {
			t.Fatalf("event %d (%v) object has resource_version %q, want %d", i, e.Type, got, rev)
		}
	}
}

// wantEvent describes an expected event by type, kind and key.
type wantEvent struct {
	typ  gantryv1.WatchEventType
	kind string
	key  string
}

func describeEvents(evs []*Event) string {
	var b strings.Builder
	for _, e := range evs {
		m := apimeta.Meta(e.Object)
		fmt.Fprintf(&b, "[%v %s %s rev=%d last=%v] ", e.Type, e.Kind.Name, apimeta.Key(m.GetNamespace(), m.GetName()), e.Rev, e.Last)
	}
	return b.String()
}

func checkEvents(t testing.TB, evs []*Event, want []wantEvent) {
	t.Helper()
	ok := len(evs) == len(want)
	for i := 0; ok && i < len(want); i++ {
		m := apimeta.Meta(evs[i].Object)
		ok = evs[i].Type == want[i].typ && evs[i].Kind.Name == want[i].kind &&
			apimeta.Key(m.GetNamespace(), m.GetName()) == want[i].key
	}
	if !ok {
		t.Fatalf("events: got %s\nwant %v", describeEvents(evs), want)
	}
}

// decoded returns a copy of cmd that went through the wire, as every
// master's FSM sees it.
func decoded(t testing.TB, cmd *storagev1.Command) *storagev1.Command {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(cmd)
	if err != nil {
		t.Fatalf("marshal command: %v", err)
	}
	out := &storagev1.Command{}
	if err := proto.Unmarshal(b, out); err != nil {
		t.Fatalf("unmarshal command: %v", err)
	}
	return out
}

// dump returns every stored object, kinds in name order, keys in order.
func dump(t testing.TB, s *Store) []*gantryv1.Object {
	t.Helper()
	var out []*gantryv1.Object
	for _, k := range apimeta.Kinds() {
		res, err := s.List(k, ListOptions{})
		if err != nil {
			t.Fatalf("List(%s): %v", k, err)
		}
		out = append(out, res.Items...)
	}
	return out
}

func sameObjects(a, b []*gantryv1.Object) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func persisted(t testing.TB, s *Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Snapshot().Persist(&buf); err != nil {
		t.Fatalf("Persist: %v", err)
	}
	return buf.Bytes()
}

// edit returns a deep copy of o with fn applied to its kind's message.
func edit[T proto.Message](o *gantryv1.Object, fn func(T)) *gantryv1.Object {
	c := proto.Clone(o).(*gantryv1.Object)
	fn(apimeta.Inner(c).(T))
	return c
}

// editMeta returns a deep copy of o with fn applied to its metadata.
func editMeta(o *gantryv1.Object, fn func(*gantryv1.ObjectMeta)) *gantryv1.Object {
	c := proto.Clone(o).(*gantryv1.Object)
	fn(apimeta.Meta(c))
	return c
}
