package store

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// populate fills h with a bit of every state an object can be in.
func populate(h *harness) {
	h.mustApply(createOp(nsObj("default")), createOp(nsObj("prod")), createOp(nsObj("held", "example.com/hold")),
		createOp(nodeObj("n1")), memberOp("m1", "r1", "a1"), memberOp("m0", "r0", "a0"))
	for i := 0; i < 20; i++ {
		ns := []string{"default", "prod"}[i%2]
		h.mustApply(createOp(cmObj(ns, fmt.Sprintf("cm-%02d", i), map[string]string{"i": fmt.Sprint(i)})),
			createOp(deployObj(ns, fmt.Sprintf("d-%02d", i), int32(i))))
	}
	h.mustApply(statusOp(edit(deployObj("prod", "d-01", 1), func(d *gantryv1.Deployment) {
		d.Status = &gantryv1.DeploymentStatus{Replicas: 1, ReadyReplicas: 1}
	}), 0))
	h.mustApply(createOp(podObj("prod", "bound", "n1")), createOp(podObj("held", "p", "n1")))
	h.mustApply(deleteOp(kPod, "prod", "bound"), deleteOp(kNS, "", "held"), deleteOp(kCM, "default", "cm-00"))
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	h := newHarness(t)
	populate(h)
	snap := h.s.Snapshot()
	if snap.Revision() != h.idx {
		t.Fatalf("Snapshot().Revision() = %d, want %d", snap.Revision(), h.idx)
	}
	wantObjs, wantMembers, wantRev := dump(t, h.s), h.s.Members(), h.idx
	wantLists := map[string][]string{}
	for _, ns := range []string{"", "default", "prod"} {
		wantLists[ns] = paginate(t, h.s, kCM, ListOptions{Namespace: ns})
	}
	var early bytes.Buffer
	if err := snap.Persist(&early); err != nil {
		t.Fatal(err)
	}

	// Later writes of every kind must not reach the snapshot.
	h.mustApply(updateOp(cmObj("default", "cm-02", map[string]string{"changed": "yes"}), 0),
		deleteOp(kCM, "prod", "cm-01"), createOp(cmObj("default", "new", nil)),
		memberOp("m1", "moved", "moved"), memberOp("m9", "r9", "a9"), deleteOp(kNS, "", "prod"))
	var buf bytes.Buffer
	if err := snap.Persist(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), early.Bytes()) {
		t.Fatal("the snapshot changed with writes made after it was taken")
	}

	s2 := New(DefaultConfig())
	if err := s2.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got := dump(t, s2); !sameObjects(got, wantObjs) {
		t.Fatalf("restored objects differ:\ngot  %v\nwant %v", got, wantObjs)
	}
	if !equalMembers(s2.Members(), wantMembers) {
		t.Fatalf("restored members %v, want %v", s2.Members(), wantMembers)
	}
	if m, ok := s2.Member("m1"); !ok || m.GetRaftAddress() != "r1" {
		t.Fatalf("Member(m1) = %v, %v", m, ok)
	}
	if s2.Revision() != wantRev || s2.Events().LastRev() != wantRev {
		t.Fatalf("restored Revision %d LastRev %d, want %d", s2.Revision(), s2.Events().LastRev(), wantRev)
	}
	for _, o := range wantObjs {
		m := apimeta.Meta(o)
		got, rev, err := s2.Get(apimeta.KindOf(o), m.GetNamespace(), m.GetName())
		if err != nil || rev != wantRev || !proto.Equal(got, o) {
			t.Fatalf("Get %s %s/%s after restore: %v rev %d err %v", apimeta.KindOf(o), m.GetNamespace(), m.GetName(), got, rev, err)
		}
	}
	for ns, want := range wantLists {
		if got := paginate(t, s2, kCM, ListOptions{Namespace: ns, Limit: 3}); !equalStrings(got, want) {
			t.Fatalf("List(%q) after restore = %v, want %v", ns, got, want)
		}
		if page, _ := s2.List(kCM, ListOptions{Namespace: ns, Limit: 3}); page.Revision != wantRev {
			t.Fatalf("List revision %d, want %d", page.Revision, wantRev)
		}
	}
	// Persist is deterministic: the restored store persists the same bytes.
	if got := persisted(t, s2); !bytes.Equal(got, buf.Bytes()) {
		t.Fatal("a restored store persists different bytes")
	}
	// The restored store goes on applying like the original did.
	res := s2.Apply(decoded(t, &storagev1.Command{Ops: []*storagev1.Op{updateOp(cmObj("default", "cm-02", map[string]string{"changed": "yes"}), 0)}}), wantRev+5)
	if res[0].Err != nil || apimeta.Meta(res[0].Object).GetGeneration() != 2 {
		t.Fatalf("apply after restore: %v", res[0])
	}
}

func TestRestoreResetsEventLog(t *testing.T) {
	src := newHarness(t)
	populate(src)
	snapBytes := persisted(t, src.s)
	snapRev := src.idx

	// The target has its own history and watchers.
	h := newHarness(t)
	h.mustApply(createOp(nsObj("mine")))
	h.mustApply(createOp(cmObj("mine", "x", nil)))
	old, _ := h.s.Events().CursorAfter(0)
	idle := h.cur
	_, _, wait, err := h.s.Events().Read(idle, 10, nil)
	if err != nil || wait == nil {
		t.Fatalf("idle Read: %v %v", wait, err)
	}

	if err := h.s.Restore(bytes.NewReader(snapBytes)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wait:
	case <-time.After(deadline):
		t.Fatal("Restore did not wake waiting watchers")
	}
	for _, c := range []Cursor{old, idle} {
		if _, _, _, err := h.s.Events().Read(c, 10, nil); !errors.Is(err, ErrCompacted) {
			t.Fatalf("Read(%v) after Restore: %v, want ErrCompacted", c, err)
		}
	}
	if _, err := h.s.Events().CursorAfter(snapRev - 1); !errors.Is(err, ErrCompacted) {
		t.Fatalf("CursorAfter(snapshot-1) = %v, want ErrCompacted", err)
	}
	if h.s.Events().Floor() != snapRev || h.s.Events().LastRev() != snapRev {
		t.Fatalf("Floor %d LastRev %d, want %d", h.s.Events().Floor(), h.s.Events().LastRev(), snapRev)
	}
	if _, _, err := h.s.Get(kCM, "mine", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an object from before the restore survived: %v", err)
	}
	c, err := h.s.Events().CursorAfter(snapRev)
	if err != nil {
		t.Fatalf("CursorAfter(snapshot revision): %v", err)
	}
	res := h.s.Apply(decoded(t, &storagev1.Command{Ops: []*storagev1.Op{createOp(cmObj("default", "after", nil))}}), snapRev+1)
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	evs, _, _, err := h.s.Events().Read(c, 10, nil)
	if err != nil || len(evs) != 1 || evs[0].Rev != snapRev+1 || !evs[0].Last {
		t.Fatalf("events after restore: %s %v", describeEvents(evs), err)
	}
}

// corruptions are snapshot streams Restore must refuse, built from good.
func corruptions(t *testing.T, good []byte) map[string][]byte {
	t.Helper()
	hdr := &storagev1.SnapshotHeader{}
	if err := protodelim.UnmarshalFrom(bytes.NewReader(good), hdr); err != nil {
		t.Fatal(err)
	}
	hdrLen := len(delim(t, hdr))
	body := good[hdrLen:]
	withHeader := func(fn func(*storagev1.SnapshotHeader)) []byte {
		h := proto.Clone(hdr).(*storagev1.SnapshotHeader)
		fn(h)
		return append(delim(t, h), body...)
	}
	out := map[string][]byte{
		"empty":               {},
		"garbage":             []byte("this is not a snapshot at all"),
		"format version 2":    withHeader(func(h *storagev1.SnapshotHeader) { h.FormatVersion = 2 }),
		"format version 0":    withHeader(func(h *storagev1.SnapshotHeader) { h.FormatVersion = 0 }),
		"count too high":      withHeader(func(h *storagev1.SnapshotHeader) { h.ObjectCount++ }),
		"count too low":       withHeader(func(h *storagev1.SnapshotHeader) { h.ObjectCount-- }),
		"empty envelope":      withHeader(func(h *storagev1.SnapshotHeader) { h.ObjectCount++ }),
		"object without name": nil,
		"oversized record":    append(append([]byte{}, good...), protowire.AppendVarint(nil, maxSnapshotRecord+1)...),
		"trailing garbage":    append(append([]byte{}, good...), 0x05, 0xff, 0xff),
	}
	out["empty envelope"] = append(out["empty envelope"], delim(t, &gantryv1.Object{})...)
	noName := withHeader(func(h *storagev1.SnapshotHeader) { h.ObjectCount++ })
	out["object without name"] = append(noName, delim(t, cmObj("default", "", nil))...)
	// Every proper prefix: a snapshot cut short anywhere is refused.
	for i := 0; i < len(good); i++ {
		out[fmt.Sprintf("truncated at %d of %d", i, len(good))] = good[:i]
	}
	return out
}

func delim(t *testing.T, m proto.Message) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := protodelim.MarshalTo(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRestoreRejectsCorruptInput: a bad snapshot returns an error and
// leaves the target exactly as it was, its watchers included.
func TestRestoreRejectsCorruptInput(t *testing.T) {
	src := newHarness(t)
	src.mustApply(createOp(nsObj("default")), memberOp("m1", "r", "a"))
	src.mustApply(createOp(cmObj("default", "a", map[string]string{"k": "v"})), createOp(nodeObj("n1")))
	good := persisted(t, src.s)
	if err := New(DefaultConfig()).Restore(bytes.NewReader(good)); err != nil {
		t.Fatalf("the good snapshot does not restore: %v", err)
	}

	h := newHarness(t)
	populate(h)
	before := persisted(t, h.s)
	beforeRev, floor, last := h.s.Revision(), h.s.Events().Floor(), h.s.Events().LastRev()
	start, _ := h.s.Events().CursorAfter(0)
	_, _, wait, _ := h.s.Events().Read(h.cur, 10, nil)

	for name, in := range corruptions(t, good) {
		if err := h.s.Restore(bytes.NewReader(in)); err == nil {
			t.Fatalf("%s: Restore succeeded", name)
		}
		if got := persisted(t, h.s); !bytes.Equal(got, before) || h.s.Revision() != beforeRev {
			t.Fatalf("%s: a failed Restore changed the store", name)
		}
		if h.s.Events().Floor() != floor || h.s.Events().LastRev() != last || closed(wait) {
			t.Fatalf("%s: a failed Restore touched the event log", name)
		}
		if _, _, _, err := h.s.Events().Read(start, 1, nil); err != nil {
			t.Fatalf("%s: a failed Restore expired cursors: %v", name, err)
		}
	}
}

// TestPersistWhileApplying: Persist of a snapshot runs without the store
// lock while Apply goes on (run with -race).
func TestPersistWhileApplying(t *testing.T) {
	h := newHarness(t)
	populate(h)
	want := dump(t, h.s)
	wantRev := h.idx
	snap := h.s.Snapshot()
	done := make(chan error, 1)
	var buf bytes.Buffer
	go func() { done <- snap.Persist(&buf) }()
	for i := 0; i < 100; i++ {
		j := i%18 + 2
		ns := []string{"default", "prod"}[j%2]
		ops := []*storagev1.Op{updateOp(cmObj(ns, fmt.Sprintf("cm-%02d", j), map[string]string{"w": fmt.Sprint(i)}), 0),
			createOp(cmObj("default", fmt.Sprintf("more-%03d", i), nil))}
		if i < 18 {
			ops = append(ops, deleteOp(kDeploy, ns, fmt.Sprintf("d-%02d", j)))
		}
		h.mustApply(ops...)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(deadline):
		t.Fatal("Persist did not finish")
	}
	s2 := New(DefaultConfig())
	if err := s2.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, s2); !sameObjects(got, want) || s2.Revision() != wantRev {
		t.Fatalf("a snapshot persisted during writes is not the state it was taken at")
	}
}
