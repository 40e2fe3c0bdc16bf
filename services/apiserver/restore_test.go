package apiserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/snapshotfile"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// saveBackup streams a ClusterService snapshot of m into a file and
// returns its path with the index and term of the first chunk.
func saveBackup(t *testing.T, m *testutil.Member) (path string, index, term uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stream, err := m.Cluster.Snapshot(ctx, &gantryv1.SnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for first := true; ; first = false {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("snapshot of %s: %v", m.ID, err)
		}
		if first {
			index, term = msg.GetIndex(), msg.GetTerm()
		}
		data = append(data, msg.GetData()...)
	}
	path = filepath.Join(t.TempDir(), "backup.snap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, index, term
}

// restoreInto restores the backup into a fresh data dir per member of a
// new cluster on fresh Raft ports, and returns the option that starts
// testutil's masters on them.
func restoreInto(t *testing.T, backup string, n int, bump uint64) testutil.Option {
	t.Helper()
	cluster := map[string]string{}
	for i := 1; i <= n; i++ {
		cluster[fmt.Sprintf("m%d", i)] = testutil.FreeAddr(t)
	}
	dirs := map[string]string{}
	base := t.TempDir()
	for id := range cluster {
		dirs[id] = filepath.Join(base, id)
		res, err := apiserver.Restore(apiserver.RestoreConfig{
			Snapshot: backup, ID: id, DataDir: dirs[id], InitialCluster: cluster, BumpRevision: bump,
			Store: apiserver.DefaultConfig().Store,
		}, zaptest.NewLogger(t))
		if err != nil {
			t.Fatalf("restore %s: %v", id, err)
		}
		if res.Index != res.Revision+bump {
			t.Fatalf("restore %s: index %d, want revision %d + bump %d", id, res.Index, res.Revision, bump)
		}
	}
	return func(cfg *apiserver.Config) {
		cfg.DataDir, cfg.RaftListen = dirs[cfg.ID], cluster[cfg.ID]
	}
}

// TestRestoreNewCluster: a backup streamed from a running cluster,
// restored into three fresh data directories, starts a new three-master
// cluster (bootstrapped with --initial-cluster, as the old one was) with
// exactly the backup's objects and versions; the next write gets a higher
// resource_version than any the old cluster handed out, and a watch from
// the backup's revision sees it.
func TestRestoreNewCluster(t *testing.T) {
	old := testutil.NewCluster(t, 3)
	leader := old.Leader()
	createMany(t, leader.Resource, "cm-", 40, 4)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if _, err := leader.Resource.Create(ctx, &gantryv1.CreateRequest{Object: apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "team-a"}})}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := leader.Resource.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindConfigMap, Name: fmt.Sprintf("cm-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	before, oldRev := converged(t, old, 10*time.Second)
	backup, index, term := saveBackup(t, old.Followers()[0])
	if index < oldRev || term == 0 {
		t.Fatalf("backup at index %d term %d; want index >= revision %d and a term", index, term, oldRev)
	}
	f, err := os.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	info, err := snapshotfile.Inspect(f)
	f.Close()
	if err != nil {
		t.Fatalf("inspect the backup: %v", err)
	}
	if info.Revision != oldRev || info.Objects != uint64(len(before)) || info.Kinds[apimeta.KindConfigMap] != 35 {
		t.Fatalf("backup holds revision %d, %d objects (%v); the cluster had revision %d, %d objects", info.Revision, info.Objects, info.Kinds, oldRev, len(before))
	}
	old.StopAll()

	restored := testutil.NewCluster(t, 3, restoreInto(t, backup, 3, 0))
	after, newRev := converged(t, restored, 20*time.Second)
	if d := diff(before, after); d != "" {
		t.Fatalf("the restored cluster's objects differ from the backup's: %s", d)
	}
	// Only member registrations were written since.
	if newRev < oldRev {
		t.Fatalf("restored cluster at revision %d, below the backup's %d", newRev, oldRev)
	}
	for _, m := range restored.Members {
		if st := m.Server().Store(); st.Events().Floor() < oldRev {
			t.Errorf("%s's event log starts at %d, below the backup's revision %d", m.ID, st.Events().Floor(), oldRev)
		}
	}
	st, err := statusOf(ctx, restored.Leader())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.GetMembers()) != 3 || st.GetCommitIndex() <= index {
		t.Errorf("restored cluster status: %d members, commit index %d (backup at %d): %v", len(st.GetMembers()), st.GetCommitIndex(), index, st)
	}

	w, err := restored.Followers()[0].Resource.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, ResourceVersion: apimeta.FormatResourceVersion(oldRev)})
	if err != nil {
		t.Fatal(err)
	}
	next := mustCreate(t, restored.Leader().Resource, "after-restore")
	if rv := rvOf(t, next); rv <= index || rv <= oldRev {
		t.Fatalf("first write after the restore got resource_version %d; the backup was at index %d, revision %d", rv, index, oldRev)
	}
	resp, err := w.Recv()
	if err != nil || len(resp.GetEvents()) != 1 || apimeta.Meta(resp.GetEvents()[0].GetObject()).GetName() != "after-restore" {
		t.Fatalf("watch from the backup's revision %d: %v, %v; want the ADDED event of after-restore", oldRev, resp, err)
	}
}

// TestRestoreBumpRevision: with a bump the new cluster starts that far
// past the backup, so a watch from the old cluster's revisions is told to
// relist (OUT_OF_RANGE) instead of resuming against different history.
func TestRestoreBumpRevision(t *testing.T) {
	old := testutil.NewCluster(t, 1)
	createMany(t, old.Leader().Resource, "cm-", 10, 2)
	before, oldRev := converged(t, old, 10*time.Second)
	backup, _, _ := saveBackup(t, old.Leader())
	old.StopAll()

	const bump = 1000
	restored := testutil.NewCluster(t, 1, restoreInto(t, backup, 1, bump))
	after, _ := converged(t, restored, 20*time.Second)
	if d := diff(before, after); d != "" {
		t.Fatalf("the restored cluster's objects differ from the backup's: %s", d)
	}
	m := restored.Leader()
	if rv := rvOf(t, mustCreate(t, m.Resource, "after-restore")); rv <= oldRev+bump {
		t.Fatalf("first write after a restore bumped by %d got resource_version %d, want past %d", bump, rv, oldRev+bump)
	}
	w, err := m.Resource.Watch(t.Context(), &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, ResourceVersion: apimeta.FormatResourceVersion(oldRev)})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.OutOfRange {
		t.Fatalf("watch from the old revision %d after a bumped restore: %v, want OUT_OF_RANGE", oldRev, err)
	}
}

// TestRestoreRefuses: restore never writes over existing state, nor
// leaves anything behind when the backup is bad or the flags are wrong.
func TestRestoreRefuses(t *testing.T) {
	c := testutil.NewCluster(t, 1)
	createMany(t, c.Leader().Resource, "cm-", 3, 1)
	backup, _, _ := saveBackup(t, c.Leader())
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.snap")
	if err := os.WriteFile(truncated, data[:len(data)-5], 0o600); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(t.TempDir(), "full")
	if err := os.MkdirAll(full, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "raft.db"), []byte("live"), 0o600); err != nil {
		t.Fatal(err)
	}
	cluster := map[string]string{"m1": "127.0.0.1:7101"}
	fresh := func() string { return filepath.Join(t.TempDir(), "m1") }
	cases := map[string]struct {
		cfg  apiserver.RestoreConfig
		want string
	}{
		"non-empty dir": {apiserver.RestoreConfig{Snapshot: backup, ID: "m1", DataDir: full, InitialCluster: cluster}, "data dir is not empty"},
		"truncated":     {apiserver.RestoreConfig{Snapshot: truncated, ID: "m1", DataDir: fresh(), InitialCluster: cluster}, "corrupt snapshot"},
		"no such file":  {apiserver.RestoreConfig{Snapshot: backup + ".nope", ID: "m1", DataDir: fresh(), InitialCluster: cluster}, "no such file"},
		"not a member":  {apiserver.RestoreConfig{Snapshot: backup, ID: "m9", DataDir: fresh(), InitialCluster: cluster}, `does not include this member "m9"`},
		"no cluster":    {apiserver.RestoreConfig{Snapshot: backup, ID: "m1", DataDir: fresh()}, "--initial-cluster is required"},
		"bad address":   {apiserver.RestoreConfig{Snapshot: backup, ID: "m1", DataDir: fresh(), InitialCluster: map[string]string{"m1": "nowhere"}}, "want host:port"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := apiserver.Restore(tc.cfg, zaptest.NewLogger(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore = %v, want an error saying %q", err, tc.want)
			}
			entries, _ := os.ReadDir(filepath.Dir(tc.cfg.DataDir))
			for _, e := range entries {
				if strings.Contains(e.Name(), ".restore-") || (tc.cfg.DataDir != full && e.Name() == "m1") {
					t.Errorf("a failed restore left %s behind", e.Name())
				}
			}
		})
	}
	if got, _ := os.ReadFile(filepath.Join(full, "raft.db")); string(got) != "live" {
		t.Errorf("restore touched the existing data dir: raft.db = %q", got)
	}
}
