package apiserver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// smallSnapshots makes Raft snapshot and truncate its log every few dozen
// entries, so a member that is down for a few hundred writes can only
// catch up from a snapshot.
func smallSnapshots(cfg *apiserver.Config) {
	cfg.Raft.SnapshotThreshold = 64
	cfg.Raft.TrailingLogs = 80 // raftnode requires >= 1.25 x threshold
	cfg.Raft.SnapshotInterval = 100 * time.Millisecond
	// The WAL truncates whole segments only: small ones, so that old
	// entries really go (bolt deletes them one by one).
	cfg.Raft.WALSegmentBytes = 32 << 10
}

// createMany creates n ConfigMaps "<prefix><i>" through rc, par at a time.
func createMany(t testing.TB, rc gantryv1.ResourceServiceClient, prefix string, n, par int) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan int)
	for p := 0; p < par; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := create(t.Context(), rc, fmt.Sprintf("%s%d", prefix, i), 10*time.Second); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d creates failed; first: %v", len(errs), n, errs[0])
	}
}

// TestFollowerCatchesUpFromSnapshot: a follower that is down while the
// leader snapshots and truncates its log past the follower's last entry
// comes back, installs the leader's snapshot and ends with the same state.
// A watch resumed on it from before the snapshot ends with OUT_OF_RANGE.
// With either log store (the WAL truncates whole segments).
func TestFollowerCatchesUpFromSnapshot(t *testing.T) {
	for _, ls := range logStores {
		t.Run(ls, func(t *testing.T) { testFollowerCatchesUpFromSnapshot(t, withLogStore(ls)) })
	}
}

func testFollowerCatchesUpFromSnapshot(t *testing.T, opt testutil.Option) {
	c := testutil.NewCluster(t, 3, smallSnapshots, opt)
	leader := c.Leader()
	createMany(t, leader.Resource, "early-", 100, 8)
	f := c.Followers()[0]
	converged(t, c, 10*time.Second)
	c.Stop(f)
	fRev := f.Server().Store().Revision()

	// f cannot hold any entry from this write on.
	bound := rvOf(t, mustCreate(t, leader.Resource, "after-stop"))
	createMany(t, leader.Resource, "late-", 500, 8)
	// Once the leader snapshots at bound+TrailingLogs or later, it keeps
	// no entry at or below bound: f needs a snapshot.
	trailing := f.Cfg.Raft.TrailingLogs
	testutil.Eventually(t, 20*time.Second, func() error {
		if idx := maxSnapshotIndex(leader); idx < bound+trailing {
			return fmt.Errorf("leader %s's newest snapshot is at %d, want >= %d", leader.ID, idx, bound+trailing)
		}
		return nil
	})
	t.Logf("%s stopped at revision %d; leader %s snapshotted at %d, past the first entry %s lacks (%d)",
		f.ID, fRev, leader.ID, maxSnapshotIndex(leader), f.ID, bound)

	c.Start(f)
	// A client that watched f before it stopped resumes there from the last
	// revision it saw. f can reach that revision only by installing a
	// snapshot past it, which drops the history in between: the watch must
	// end with OUT_OF_RANGE (relist), never skip the missing events. (An
	// open watch that a restore cuts short: TestRestoreEndsOpenWatches.)
	// Until the leader gets through (its retries back off while f was
	// down), f waits for the revision and may give up with UNAVAILABLE,
	// which a client retries.
	testutil.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		resumed, err := f.Resource.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, ResourceVersion: apimeta.FormatResourceVersion(fRev)})
		if err == nil {
			err = recvUntilError(resumed, 20*time.Second)
		}
		switch status.Code(err) {
		case codes.OutOfRange:
			return nil
		case codes.Unavailable:
			return fmt.Errorf("watch resumed on %s from revision %d: %w", f.ID, fRev, err)
		}
		t.Fatalf("watch resumed on %s from revision %d, which only a snapshot covers, ended with %v, want OUT_OF_RANGE", f.ID, fRev, err)
		return nil
	})

	state, rev := converged(t, c, 30*time.Second)
	if _, ok := state["ConfigMap/default/late-499"]; !ok || rev < bound+500 {
		t.Fatalf("converged at revision %d without the late writes", rev)
	}
	if floor := f.Server().Store().Events().Floor(); floor <= bound {
		t.Errorf("%s's event log starts at %d, want past %d: it did not restore a leader's snapshot", f.ID, floor, bound)
	}
	if idx := maxSnapshotIndex(f); idx <= bound {
		t.Errorf("%s's newest snapshot on disk is at %d, want an installed one past %d", f.ID, idx, bound)
	}
}

// recvUntilError drains a watch until it fails, or returns an error
// saying it did not within timeout.
func recvUntilError(stream gantryv1.ResourceService_WatchClient, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() {
		for {
			if _, err := stream.Recv(); err != nil {
				errc <- err
				return
			}
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("watch still open after %v", timeout)
	}
}

// TestRestoreEndsOpenWatches: when a master's store is replaced by a
// snapshot (as Raft does on install), every watch open on it ends with
// OUT_OF_RANGE, and a new watch from before the snapshot is refused the
// same way, while the master goes on serving from the restored state.
func TestRestoreEndsOpenWatches(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	leader := c.Leader()
	f := c.Followers()[0]
	createMany(t, leader.Resource, "cm-", 20, 4)
	converged(t, c, 10*time.Second)
	from := currentRV(t, f)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stream, err := f.Resource.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, ResourceVersion: from})
	if err != nil {
		t.Fatal(err)
	}
	// Prove the watch is live before the restore.
	live := mustCreate(t, leader.Resource, "live")
	resp, err := stream.Recv()
	if err != nil || len(resp.GetEvents()) != 1 || resp.GetEvents()[0].GetResourceVersion() != apimeta.Meta(live).GetResourceVersion() {
		t.Fatalf("watch on %s: got %v, %v; want the ADDED event of live", f.ID, resp, err)
	}
	before, rev := converged(t, c, 10*time.Second)

	// f's own state, as Raft would ship it: restoring it changes nothing
	// but the event log.
	snap, err := backup(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Server().Store().Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("restore %s: %v", f.ID, err)
	}
	if err := recvUntilError(stream, 10*time.Second); status.Code(err) != codes.OutOfRange {
		t.Fatalf("open watch on %s after a restore ended with %v, want OUT_OF_RANGE", f.ID, err)
	}
	s2, err := f.Resource.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, ResourceVersion: from})
	if err == nil {
		_, err = s2.Recv()
	}
	if status.Code(err) != codes.OutOfRange {
		t.Fatalf("watch on %s from %s, older than its restored state, got %v, want OUT_OF_RANGE", f.ID, from, err)
	}

	after, rev2 := converged(t, c, 10*time.Second)
	if rev2 != rev || diff(before, after) != "" {
		t.Fatalf("restore changed %s's state: revision %d -> %d; %s", f.ID, rev, rev2, diff(before, after))
	}
	// A watch from the restored revision works and sees new writes.
	s3, err := f.Resource.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, ResourceVersion: apimeta.FormatResourceVersion(rev)})
	if err != nil {
		t.Fatal(err)
	}
	next := mustCreate(t, leader.Resource, "next")
	resp, err = s3.Recv()
	if err != nil || len(resp.GetEvents()) != 1 || resp.GetEvents()[0].GetResourceVersion() != apimeta.Meta(next).GetResourceVersion() {
		t.Fatalf("watch on %s from the restored revision: got %v, %v; want next at %s", f.ID, resp, err, apimeta.Meta(next).GetResourceVersion())
	}
}

// backup streams a ClusterService snapshot of m.
func backup(t testing.TB, m *testutil.Member) ([]byte, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stream, err := m.Cluster.Snapshot(ctx, &gantryv1.SnapshotRequest{})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return buf.Bytes(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", m.ID, err)
		}
		buf.Write(msg.GetData())
	}
}
