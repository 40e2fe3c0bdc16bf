package raftnode

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// createCommand is what the leader proposes for one ConfigMap create with
// a 1 KiB value, as gantry bench writes.
func createCommand(name string) *storagev1.Command {
	return &storagev1.Command{Version: 1, Ops: []*storagev1.Op{{Type: storagev1.OpType_OP_TYPE_CREATE,
		Object: apimeta.Wrap(&gantryv1.ConfigMap{
			Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", Uid: "u-" + name},
			Data:     map[string]string{"v": strings.Repeat("x", 1024)},
		})}}}
}

// BenchmarkLogStore: one Raft entry (a 1 KiB create) stored and synced,
// as the leader and every follower do, serially, for each write, in a log
// that has been truncated after a snapshot (as it always has in steady
// state: TrailingLogs entries kept, the rest freed). The commit's two
// fdatasyncs dominate; without the freelist fewer pages are written.
// Run with -benchtime=300x: the disk, not the CPU, is measured.
func BenchmarkLogStore(b *testing.B) {
	data, err := proto.Marshal(createCommand("cm"))
	if err != nil {
		b.Fatal(err)
	}
	for _, nfs := range []bool{false, true} {
		b.Run(fmt.Sprintf("NoFreelistSync=%v", nfs), func(b *testing.B) {
			bolt, err := raftboltdb.New(raftboltdb.Options{
				Path:        filepath.Join(b.TempDir(), "raft.db"),
				BoltOptions: &bbolt.Options{Timeout: time.Second, NoFreelistSync: nfs},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer bolt.Close()
			const kept, freed = 10240, 10240
			batch := make([]*raft.Log, 0, 256)
			for i := uint64(1); i <= kept+freed; i++ {
				batch = append(batch, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: data})
				if len(batch) == cap(batch) {
					if err := bolt.StoreLogs(batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			if err := bolt.DeleteRange(1, freed); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l := &raft.Log{Index: uint64(kept + freed + i + 1), Term: 1, Type: raft.LogCommand, Data: data}
				if err := bolt.StoreLogs([]*raft.Log{l}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFSMApply: what every master does per committed write once the
// entry is durable: decode the command and apply it to the store.
func BenchmarkFSMApply(b *testing.B) {
	st := store.New(store.DefaultConfig())
	f := &fsm{st: st, applied: newSignal()}
	ns, _ := proto.Marshal(&storagev1.Command{Ops: []*storagev1.Op{{Type: storagev1.OpType_OP_TYPE_CREATE,
		Object: apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "default"}})}}})
	f.Apply(&raft.Log{Index: 1, Data: ns})
	entries := make([][]byte, b.N)
	for i := range entries {
		entries[i], _ = proto.Marshal(createCommand(fmt.Sprintf("cm-%d", i)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := f.Apply(&raft.Log{Index: uint64(i + 2), Data: entries[i]}).([]store.Result)
		if res[0].Err != nil {
			b.Fatal(res[0].Err)
		}
	}
}
