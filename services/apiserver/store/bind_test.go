package store

import (
	"errors"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestBind(t *testing.T) {
	st := New(DefaultConfig())
	st.Apply(&storagev1.Command{Ops: []*storagev1.Op{
		{Type: storagev1.OpType_OP_TYPE_CREATE, Object: apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "default"}})},
		{Type: storagev1.OpType_OP_TYPE_CREATE, Object: apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "p", Namespace: "default", Uid: "u1"},
			Spec: &gantryv1.PodSpec{SchedulerName: "default-scheduler"}})},
	}}, 1)
	bind := func(node, uid string) *storagev1.Op {
		return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_BIND, Namespace: "default", Name: "p", NodeName: node, ExpectUid: uid}
	}
	// Two binds of one pod in one command: the first wins, the second is a conflict.
	res := st.Apply(&storagev1.Command{Ops: []*storagev1.Op{bind("n1", "u1"), bind("n2", "")}}, 2)
	if res[0].Err != nil || res[0].Object.GetPod().GetSpec().GetNodeName() != "n1" {
		t.Fatalf("first bind = %v, %v", res[0].Object, res[0].Err)
	}
	if !errors.Is(res[1].Err, ErrConflict) {
		t.Fatalf("second bind err = %v, want ErrConflict", res[1].Err)
	}
	got, _, _ := st.Get(apimeta.KindPod, "default", "p")
	if got.GetPod().GetSpec().GetNodeName() != "n1" || got.GetPod().GetSpec().GetSchedulerName() != "default-scheduler" ||
		apimeta.Meta(got).GetResourceVersion() != "2" || apimeta.Meta(got).GetGeneration() != 2 {
		t.Fatalf("stored pod after bind: %v", got)
	}
	for name, op := range map[string]*storagev1.Op{
		"wrong uid": {Type: storagev1.OpType_OP_TYPE_BIND, Namespace: "default", Name: "p", NodeName: "n1", ExpectUid: "other"},
		"missing":   {Type: storagev1.OpType_OP_TYPE_BIND, Namespace: "default", Name: "q", NodeName: "n1"},
		"no node":   {Type: storagev1.OpType_OP_TYPE_BIND, Namespace: "default", Name: "p"},
	} {
		if r := st.Apply(&storagev1.Command{Ops: []*storagev1.Op{op}}, 3); r[0].Err == nil {
			t.Errorf("%s: bind succeeded", name)
		}
	}
}

func TestDeleteAddsPropagationFinalizers(t *testing.T) {
	st := New(DefaultConfig())
	rs := func(name string) *storagev1.Op {
		return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_CREATE, Object: apimeta.Wrap(&gantryv1.ReplicaSet{
			Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"}})}
	}
	st.Apply(&storagev1.Command{Ops: []*storagev1.Op{
		{Type: storagev1.OpType_OP_TYPE_CREATE, Object: apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "default"}})},
		rs("a"), rs("b"),
	}}, 1)
	del := func(name string, add ...string) Result {
		return st.Apply(&storagev1.Command{Ops: []*storagev1.Op{{Type: storagev1.OpType_OP_TYPE_DELETE, Kind: "ReplicaSet",
			Namespace: "default", Name: name, AddFinalizers: add, Now: timestamppb.New(time.Unix(1700000000, 0))}}}, st.Revision()+1)[0]
	}
	r := del("a", "orphan")
	m := apimeta.Meta(r.Object)
	if r.Err != nil || m.GetDeletionTimestamp() == nil || len(m.GetFinalizers()) != 1 || m.GetFinalizers()[0] != "orphan" {
		t.Fatalf("orphan delete: %v %v", r.Object, r.Err)
	}
	if _, _, err := st.Get("ReplicaSet", "default", "a"); err != nil {
		t.Fatal("orphan delete removed the object; the finalizer must keep it for the garbage collector")
	}
	// A second delete does not add the finalizer twice.
	if r := del("a", "orphan"); len(apimeta.Meta(r.Object).GetFinalizers()) != 1 {
		t.Fatalf("finalizers after a second delete: %v", apimeta.Meta(r.Object).GetFinalizers())
	}
	if r := del("b"); r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, _, err := st.Get("ReplicaSet", "default", "b"); !errors.Is(err, ErrNotFound) {
		t.Fatal("background delete kept the object")
	}
}
