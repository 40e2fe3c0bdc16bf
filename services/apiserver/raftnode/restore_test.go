package raftnode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
)

// TestWriteRestoredState: the written directory is what Raft itself sees
// as existing state (so Node.New does not bootstrap it again), holding
// one snapshot at the given index with the new cluster as voters and an
// empty log; restoring it yields the store that was persisted.
func TestWriteRestoredState(t *testing.T) {
	src := store.New(store.DefaultConfig())
	ns := apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "default", Uid: "u0"}})
	if res := src.Apply(&storagev1.Command{Ops: []*storagev1.Op{{Type: storagev1.OpType_OP_TYPE_CREATE, Object: ns}}}, 6); len(res) != 1 || res[0].Err != nil {
		t.Fatalf("apply: %+v", res)
	}
	cm := apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: "a", Namespace: "default", Uid: "u1", ResourceVersion: "0"}})
	op := &storagev1.Op{Type: storagev1.OpType_OP_TYPE_CREATE, Object: cm}
	if res := src.Apply(&storagev1.Command{Ops: []*storagev1.Op{op}}, 7); len(res) != 1 || res[0].Err != nil {
		t.Fatalf("apply: %+v", res)
	}
	servers := map[string]string{"m2": "127.0.0.1:7102", "m1": "127.0.0.1:7101", "m3": "127.0.0.1:7103"}
	dir := t.TempDir()
	snap, err := src.Snapshot().ForNewCluster(500, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRestoredState("m2", dir, 500, servers, snap.Persist, zaptest.NewLogger(t)); err != nil {
		t.Fatal(err)
	}

	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, raftDBFile)})
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	snaps, err := raft.NewFileSnapshotStore(filepath.Join(dir, snapshotsDir), retainSnapshots, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if has, err := raft.HasExistingState(bolt, bolt, snaps); err != nil || !has {
		t.Fatalf("HasExistingState = %v, %v: Node.New would bootstrap over the restored state", has, err)
	}
	if last, _ := bolt.LastIndex(); last != 0 {
		t.Errorf("log holds entries up to %d, want none (all below the snapshot)", last)
	}
	if term, err := bolt.GetUint64([]byte("CurrentTerm")); err != nil || term != restoredTerm {
		t.Errorf("current term %d, %v; want %d", term, err, restoredTerm)
	}
	metas, err := snaps.List()
	if err != nil || len(metas) != 1 || metas[0].Index != 500 || metas[0].Term != restoredTerm {
		t.Fatalf("snapshots %+v, %v; want one at index 500 term %d", metas, err, restoredTerm)
	}

	dst := store.New(store.DefaultConfig())
	rc := raft.DefaultConfig()
	rc.LocalID = "m2"
	_, trans := raft.NewInmemTransport("127.0.0.1:7102")
	defer trans.Close()
	conf, err := raft.GetConfiguration(rc, &fsm{st: dst, applied: newSignal()}, bolt, bolt, snaps, trans)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range conf.Servers {
		got = append(got, string(s.ID)+"="+string(s.Address)+"/"+s.Suffrage.String())
	}
	if want := "m1=127.0.0.1:7101/Voter m2=127.0.0.1:7102/Voter m3=127.0.0.1:7103/Voter"; strings.Join(got, " ") != want {
		t.Errorf("configuration %v, want %s", got, want)
	}
	o, _, err := dst.Get(apimeta.KindConfigMap, "default", "a")
	if err != nil || !proto.Equal(o, mustGet(t, src)) || dst.Revision() != 500 {
		t.Errorf("restored store: %v, %v at revision %d; want the source's object at revision 500", o, err, dst.Revision())
	}
}

func mustGet(t *testing.T, st *store.Store) *gantryv1.Object {
	t.Helper()
	o, _, err := st.Get(apimeta.KindConfigMap, "default", "a")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestWriteRestoredStateRefuses: the member must be in the cluster and
// the index positive.
func TestWriteRestoredStateRefuses(t *testing.T) {
	servers := map[string]string{"m1": "127.0.0.1:7101"}
	if err := WriteRestoredState("m9", t.TempDir(), 5, servers, nil, zaptest.NewLogger(t)); err == nil || !strings.Contains(err.Error(), `"m9"`) {
		t.Errorf("member outside the cluster: %v", err)
	}
	if err := WriteRestoredState("m1", t.TempDir(), 0, servers, nil, zaptest.NewLogger(t)); err == nil || !strings.Contains(err.Error(), "at least 1") {
		t.Errorf("index 0: %v", err)
	}
}
