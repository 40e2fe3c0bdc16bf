package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// randomCommands builds a reproducible workload over a small space of
// names, so that ops collide: creates of existing objects, updates with
// right and stale versions, finalizers, bound pods, namespace deletion.
// It does not look at any store; many of its ops fail, on purpose.
func randomCommands(seed int64, n int) []*storagev1.Command {
	r := rand.New(rand.NewSource(seed))
	namespaces := []string{"ns0", "ns1", "ns2"}
	names := []string{"a", "b", "c", "d"}
	pick := func(s []string) string { return s[r.Intn(len(s))] }
	var cmds []*storagev1.Command
	for i := 0; i < n; i++ {
		ts := timestamppb.New(time.Date(2026, 3, 1, 0, 0, i, 0, time.UTC))
		cmd := &storagev1.Command{Version: 1}
		for j, nops := 0, 1+r.Intn(4); j < nops; j++ {
			ns, name := pick(namespaces), pick(names)
			var finalizers []string
			if r.Intn(4) == 0 {
				finalizers = []string{"example.com/f"}
			}
			var obj *gantryv1.Object
			kind := []string{kCM, kPod, kDeploy}[r.Intn(3)]
			switch kind {
			case kCM:
				obj = cmObj(ns, name, map[string]string{"v": fmt.Sprint(r.Intn(3))}, finalizers...)
			case kPod:
				node := ""
				if r.Intn(2) == 0 {
					node = "n1"
				}
				obj = podObj(ns, name, node, finalizers...)
				if r.Intn(3) == 0 {
					apimeta.Meta(obj).Labels = map[string]string{"l": fmt.Sprint(r.Intn(2))}
				}
			case kDeploy:
				obj = deployObj(ns, name, int32(r.Intn(3)))
			}
			op := &storagev1.Op{Object: obj, Now: ts}
			if r.Intn(3) == 0 && i > 0 {
				op.ExpectResourceVersion = uint64(i-r.Intn(min(i, 5))) * indexStep
			}
			if r.Intn(8) == 0 {
				op.ExpectUid = "wrong"
			}
			switch x := r.Intn(100); {
			case x < 30:
				op.Type = storagev1.OpType_OP_TYPE_CREATE
			case x < 50:
				op.Type = storagev1.OpType_OP_TYPE_UPDATE
			case x < 60:
				op.Type = storagev1.OpType_OP_TYPE_UPDATE_STATUS
				switch kind {
				case kPod:
					obj.GetPod().Status = &gantryv1.PodStatus{Phase: pick([]string{"Running", "Succeeded", "Pending"})}
				case kDeploy:
					obj.GetDeployment().Status = &gantryv1.DeploymentStatus{Replicas: int32(r.Intn(3))}
				}
			case x < 82:
				op.Type, op.Object = storagev1.OpType_OP_TYPE_DELETE, nil
				op.Kind, op.Namespace, op.Name = kind, ns, name
				if r.Intn(2) == 0 {
					op.GracePeriodSeconds = proto.Int64(int64(r.Intn(2)) * 5)
				}
			case x < 86:
				op.Type = storagev1.OpType_OP_TYPE_CREATE
				op.Object = nsObj(ns, finalizers...)
			case x < 91:
				// Namespace finalizers come and go.
				op.Type = storagev1.OpType_OP_TYPE_UPDATE
				op.Object = nsObj(ns, finalizers...)
			case x < 93:
				op.Type, op.Object = storagev1.OpType_OP_TYPE_DELETE, nil
				op.Kind, op.Name = kNS, ns
			case x < 96:
				op.Type, op.Object = storagev1.OpType_OP_TYPE_SET_MEMBER, nil
				op.Member = &storagev1.MemberInfo{Id: pick([]string{"m0", "m1"}), RaftAddress: fmt.Sprint(i)}
			default:
				op.Type = storagev1.OpType(7) // not an op
			}
			cmd.Ops = append(cmd.Ops, op)
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// replica applies commands to its own store, as one master, recording
// results and events.
type replica struct {
	t       *testing.T
	s       *Store
	cur     Cursor
	results [][]Result
	events  []*Event
}

func newReplica(t *testing.T, s *Store, after uint64) *replica {
	c, err := s.Events().CursorAfter(after)
	if err != nil {
		t.Fatal(err)
	}
	return &replica{t: t, s: s, cur: c}
}

func (rp *replica) apply(cmd *storagev1.Command, index uint64) {
	rp.t.Helper()
	rp.results = append(rp.results, rp.s.Apply(decoded(rp.t, cmd), index))
	evs, next, _, err := rp.s.Events().Read(rp.cur, 1<<20, nil)
	if err != nil {
		rp.t.Fatal(err)
	}
	checkCommandEvents(rp.t, index, evs)
	rp.cur = next
	rp.events = append(rp.events, evs...)
}

func sameResults(t *testing.T, a, b [][]Result) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d vs %d results", len(a), len(b))
	}
	for i := range a {
		for j := range a[i] {
			x, y := a[i][j], b[i][j]
			if (x.Err == nil) != (y.Err == nil) || (x.Err != nil && x.Err.Error() != y.Err.Error()) || !proto.Equal(x.Object, y.Object) {
				t.Fatalf("command %d op %d: %v / %v differ from %v / %v", i, j, x.Err, x.Object, y.Err, y.Object)
			}
		}
	}
}

func sameEventStreams(t *testing.T, a, b []*Event) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d vs %d events", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Type != y.Type || x.Rev != y.Rev || x.Last != y.Last || x.Kind != y.Kind ||
			!proto.Equal(x.Object, y.Object) || !proto.Equal(x.Prev, y.Prev) || !bytes.Equal(x.Encoded(), y.Encoded()) {
			t.Fatalf("event %d differs: %s vs %s", i, describeEvents(a[i:i+1]), describeEvents(b[i:i+1]))
		}
	}
}

func TestApplyDeterministic(t *testing.T) {
	const n = 400
	cmds := randomCommands(1, n)
	a := newReplica(t, New(DefaultConfig()), 0)
	b := newReplica(t, New(Config{EventLogSize: 5000}), 0)
	var c *replica
	var cStart int
	for i, cmd := range cmds {
		index := uint64(i+1) * indexStep
		a.apply(cmd, index)
		b.apply(cmd, index)
		if i == n/2 {
			// A third master joins from a snapshot and applies the rest.
			var buf bytes.Buffer
			if err := a.s.Snapshot().Persist(&buf); err != nil {
				t.Fatal(err)
			}
			s := New(DefaultConfig())
			if err := s.Restore(&buf); err != nil {
				t.Fatal(err)
			}
			c, cStart = newReplica(t, s, index), len(a.events)
		} else if c != nil {
			c.apply(cmd, index)
		}
	}
	sameResults(t, a.results, b.results)
	sameEventStreams(t, a.events, b.events)
	sameEventStreams(t, a.events[cStart:], c.events)
	sameResults(t, a.results[n/2+1:], c.results)
	pa := persisted(t, a.s)
	if !bytes.Equal(pa, persisted(t, b.s)) || !bytes.Equal(pa, persisted(t, c.s)) {
		t.Fatal("replicas that applied the same commands persist different states")
	}
	if a.s.Revision() != n*indexStep || b.s.Revision() != a.s.Revision() || c.s.Revision() != a.s.Revision() {
		t.Fatalf("revisions %d %d %d, want %d", a.s.Revision(), b.s.Revision(), c.s.Revision(), n*indexStep)
	}
	if !equalMembers(a.s.Members(), b.s.Members()) || !equalMembers(a.s.Members(), c.s.Members()) {
		t.Fatal("members differ")
	}

	// The workload must have exercised the interesting paths, or the
	// comparison above proves little.
	ok := map[storagev1.OpType]int{}
	fails := map[error]int{}
	for i, rs := range a.results {
		for j, r := range rs {
			if r.Err == nil {
				ok[cmds[i].Ops[j].GetType()]++
			}
			for _, e := range []error{ErrNotFound, ErrAlreadyExists, ErrConflict, ErrUIDMismatch,
				ErrNamespaceNotFound, ErrNamespaceTerminating, ErrBadCommand} {
				if errors.Is(r.Err, e) {
					fails[e]++
				}
			}
		}
	}
	types := map[gantryv1.WatchEventType]int{}
	marked := 0
	for _, e := range a.events {
		types[e.Type]++
		if e.Type == evModified && apimeta.Meta(e.Object).GetDeletionTimestamp() != nil {
			marked++
		}
	}
	for typ := storagev1.OpType_OP_TYPE_CREATE; typ <= storagev1.OpType_OP_TYPE_SET_MEMBER; typ++ {
		if ok[typ] == 0 {
			t.Errorf("no %v op succeeded", typ)
		}
	}
	if len(fails) != 7 || len(types) != 3 || marked == 0 {
		t.Errorf("workload too narrow: failures %v, event types %v, marked %d", fails, types, marked)
	}
}

// tracked is a value the store handed out, with a deep copy taken then.
type tracked struct {
	what string
	ptr  *gantryv1.Object
	copy *gantryv1.Object
}

// TestStoredObjectsImmutable: nothing the store returned (Get, List,
// results, event objects and their encodings) changes afterwards.
func TestStoredObjectsImmutable(t *testing.T) {
	cmds := randomCommands(2, 500)
	s := New(DefaultConfig())
	cur, _ := s.Events().CursorAfter(0)
	var objs []tracked
	type encoded struct {
		ev   *Event
		wire []byte
	}
	var encs []encoded
	seen := map[*gantryv1.Object]bool{}
	keep := func(what string, o *gantryv1.Object) {
		if o != nil && !seen[o] {
			seen[o] = true
			objs = append(objs, tracked{what, o, proto.Clone(o).(*gantryv1.Object)})
		}
	}
	for i, cmd := range cmds {
		index := uint64(i+1) * indexStep
		for j, r := range s.Apply(decoded(t, cmd), index) {
			keep(fmt.Sprintf("result %d/%d", i, j), r.Object)
		}
		evs, next, _, err := s.Events().Read(cur, 1<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		cur = next
		for j, e := range evs {
			keep(fmt.Sprintf("event %d/%d object", i, j), e.Object)
			keep(fmt.Sprintf("event %d/%d prev", i, j), e.Prev)
			if j%2 == 0 { // some encoded now, the rest never
				encs = append(encs, encoded{e, append([]byte(nil), e.Encoded()...)})
			}
		}
		for _, ns := range []string{"", "ns0", "ns1", "ns2"} {
			for _, k := range []string{kCM, kPod, kDeploy, kNS} {
				if res, _ := s.List(k, ListOptions{Namespace: ns}); i%10 == 0 {
					for _, o := range res.Items {
						keep(fmt.Sprintf("list %d", i), o)
					}
				}
				for _, name := range []string{"a", "b"} {
					if o, _, err := s.Get(k, ns, name); err == nil {
						keep(fmt.Sprintf("get %d", i), o)
					}
				}
			}
		}
		for _, o := range objs {
			if !proto.Equal(o.ptr, o.copy) {
				t.Fatalf("after command %d: %s changed:\nwas %v\nnow %v", i, o.what, o.copy, o.ptr)
			}
		}
		for _, e := range encs {
			if !bytes.Equal(e.ev.Encoded(), e.wire) {
				t.Fatalf("after command %d: an event's encoding changed", i)
			}
		}
	}
	if len(objs) < 150 {
		t.Fatalf("only %d objects tracked", len(objs))
	}
}

// TestImmutableAcrossEveryOp walks one object through every kind of
// change and checks each earlier version is untouched.
func TestImmutableAcrossEveryOp(t *testing.T) {
	h := newHarness(t)
	var versions []tracked
	snap := func(what string) {
		for _, k := range []string{kPod, kNS} {
			for _, name := range []string{"p", "default"} {
				ns := "default"
				if k == kNS {
					ns = ""
				}
				if o, _, err := h.s.Get(k, ns, name); err == nil {
					versions = append(versions, tracked{what, o, proto.Clone(o).(*gantryv1.Object)})
				}
			}
		}
		for _, v := range versions {
			if !proto.Equal(v.ptr, v.copy) {
				t.Fatalf("%s changed a version read after %s:\nwas %v\nnow %v", what, v.what, v.copy, v.ptr)
			}
		}
	}
	h.mustApply(createOp(nsObj("default")))
	snap("create namespace")
	h.mustApply(createOp(podObj("default", "p", "n1", "example.com/f")))
	snap("create")
	h.mustApply(updateOp(editMeta(h.get(kPod, "default", "p"), func(m *gantryv1.ObjectMeta) { m.Labels = map[string]string{"a": "b"} }), 0))
	snap("label update")
	h.mustApply(updateOp(edit(h.get(kPod, "default", "p"), func(p *gantryv1.Pod) { p.Spec.Priority = 5 }), 0))
	snap("spec update")
	h.mustApply(statusOp(edit(h.get(kPod, "default", "p"), func(p *gantryv1.Pod) {
		p.Status = &gantryv1.PodStatus{Phase: "Running"}
	}), 0))
	snap("status update")
	h.mustApply(deleteOp(kPod, "default", "p"))
	snap("graceful delete")
	h.mustApply(graceDeleteOp(kPod, "default", "p", 3))
	snap("shorter grace")
	h.mustApply(deleteOp(kNS, "", "default"))
	snap("namespace delete")
	h.mustApply(updateOp(editMeta(h.get(kPod, "default", "p"), func(m *gantryv1.ObjectMeta) { m.Finalizers = nil }), 0))
	snap("finalizer removal")
	h.mustApply(graceDeleteOp(kPod, "default", "p", 0))
	snap("final delete")
	h.absent(kNS, "", "default")
}
