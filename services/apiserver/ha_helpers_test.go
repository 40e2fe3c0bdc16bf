package apiserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/apistatus"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// configMap returns a ConfigMap in the default namespace.
func configMap(name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ConfigMap{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Data:     map[string]string{"name": name},
	})
}

// create stores configMap(name) through rc within timeout.
func create(ctx context.Context, rc gantryv1.ResourceServiceClient, name string, timeout time.Duration) (*gantryv1.Object, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := rc.Create(ctx, &gantryv1.CreateRequest{Object: configMap(name)})
	return resp.GetObject(), err
}

// mustCreate creates configMap(name) through rc and fails the test on error.
func mustCreate(t testing.TB, rc gantryv1.ResourceServiceClient, name string) *gantryv1.Object {
	t.Helper()
	o, err := create(t.Context(), rc, name, 10*time.Second)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return o
}

// rvOf returns an object's resource_version as a number.
func rvOf(t testing.TB, o *gantryv1.Object) uint64 {
	t.Helper()
	rv, err := apimeta.ParseResourceVersion(apimeta.Meta(o).GetResourceVersion())
	if err != nil || rv == 0 {
		t.Fatalf("object %s has resource_version %q", apimeta.Meta(o).GetName(), apimeta.Meta(o).GetResourceVersion())
	}
	return rv
}

// errClass names an error by code and ErrorInfo reason, for counting.
func errClass(err error) string {
	s := status.Code(err).String()
	if r := apistatus.Reason(err); r != "" {
		s += "/" + r
	}
	return s
}

// retryableWriteError reports whether err is what a write may fail with
// while the cluster has no leader: UNAVAILABLE that says whether it applied.
func retryableWriteError(err error) bool {
	if status.Code(err) != codes.Unavailable {
		return false
	}
	r := apistatus.Reason(err)
	return r == apistatus.ReasonNotApplied || r == apistatus.ReasonOutcomeUnknown
}

// listAll returns every object of kind on rc (all namespaces, all pages)
// read with consistency c, and the first page's resource_version.
func listAll(ctx context.Context, rc gantryv1.ResourceServiceClient, kind string, c gantryv1.Consistency) ([]*gantryv1.Object, uint64, error) {
	var (
		out []*gantryv1.Object
		rev uint64
		tok string
	)
	for first := true; first || tok != ""; first = false {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := rc.List(lctx, &gantryv1.ListRequest{Kind: kind, ContinueToken: tok, Consistency: c})
		cancel()
		if err != nil {
			return nil, 0, fmt.Errorf("list %s: %w", kind, err)
		}
		if first {
			if rev, err = apimeta.ParseResourceVersion(resp.GetResourceVersion()); err != nil {
				return nil, 0, fmt.Errorf("list %s: resource_version %q: %w", kind, resp.GetResourceVersion(), err)
			}
		}
		out = append(out, resp.GetItems()...)
		tok = resp.GetContinueToken()
	}
	return out, rev, nil
}

// dump is a master's whole state: every object of every kind by
// "Kind/namespace/name".
type dump map[string]*gantryv1.Object

// stateOf lists every kind on m with stale reads (its local state) and
// returns it with the revision m reported for every list, or an error when
// the revision moved while listing.
func stateOf(ctx context.Context, m *testutil.Member) (dump, uint64, error) {
	d := dump{}
	var rev uint64
	for i, kind := range apimeta.Kinds() {
		items, r, err := listAll(ctx, m.Resource, kind, gantryv1.Consistency_CONSISTENCY_STALE)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", m.ID, err)
		}
		if i > 0 && r != rev {
			return nil, 0, fmt.Errorf("%s: revision moved from %d to %d while listing", m.ID, rev, r)
		}
		rev = r
		for _, o := range items {
			meta := apimeta.Meta(o)
			d[kind+"/"+apimeta.Key(meta.GetNamespace(), meta.GetName())] = o
		}
	}
	return d, rev, nil
}

// diff describes how b differs from a, or returns "" when they are equal.
func diff(a, b dump) string {
	var out []string
	for k, o := range a {
		switch p, ok := b[k]; {
		case !ok:
			out = append(out, "missing "+k)
		case !proto.Equal(o, p):
			out = append(out, fmt.Sprintf("%s differs: rv %s vs %s", k, apimeta.Meta(o).GetResourceVersion(), apimeta.Meta(p).GetResourceVersion()))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "extra "+k)
		}
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("... and %d more", len(out)-10))
	}
	return strings.Join(out, "; ")
}

// converged waits until every running member has applied the same
// revision and holds identical state, and returns that state and revision.
func converged(t testing.TB, c *testutil.Cluster, timeout time.Duration) (dump, uint64) {
	t.Helper()
	var (
		state dump
		rev   uint64
	)
	testutil.Eventually(t, timeout, func() error {
		var (
			first   dump
			firstID string
			revs    []string
		)
		for _, m := range running(c) {
			d, r, err := stateOf(t.Context(), m)
			if err != nil {
				return err
			}
			revs = append(revs, fmt.Sprintf("%s=%d", m.ID, r))
			if first == nil {
				first, firstID, rev = d, m.ID, r
				continue
			}
			if r != rev {
				return fmt.Errorf("applied revisions differ: %v", revs)
			}
			if dd := diff(first, d); dd != "" {
				return fmt.Errorf("%s and %s both at revision %d but their states differ: %s", firstID, m.ID, r, dd)
			}
		}
		state = first
		return nil
	})
	return state, rev
}

func running(c *testutil.Cluster) []*testutil.Member {
	var out []*testutil.Member
	for _, m := range c.Members {
		if m.Running {
			out = append(out, m)
		}
	}
	return out
}

// readyLeader returns the running member that is the ready leader, or nil.
func readyLeader(c *testutil.Cluster) *testutil.Member {
	for _, m := range running(c) {
		if m.Server().IsLeader() {
			return m
		}
	}
	return nil
}

// idOf names a member, or says there is none.
func idOf(m *testutil.Member) string {
	if m == nil {
		return "none"
	}
	return m.ID
}

// writeLog records the outcome of concurrent creates.
type writeLog struct {
	mu     sync.Mutex
	acked  map[string]uint64 // name -> resource_version
	errs   map[string]int    // errClass -> count
	bad    []string          // errors a write must never fail with
	lastOK time.Time
	// longest gap between two acknowledgements, and when it ended.
	maxGap    time.Duration
	maxGapEnd time.Time
}

func newWriteLog() *writeLog {
	return &writeLog{acked: map[string]uint64{}, errs: map[string]int{}}
}

func (w *writeLog) record(t testing.TB, name string, o *gantryv1.Object, err error) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.errs[errClass(err)]++
		if !retryableWriteError(err) {
			w.bad = append(w.bad, fmt.Sprintf("%s: %v (reason %q)", name, err, apistatus.Reason(err)))
		}
		return
	}
	rv, perr := apimeta.ParseResourceVersion(apimeta.Meta(o).GetResourceVersion())
	if perr != nil || rv == 0 {
		w.bad = append(w.bad, fmt.Sprintf("%s: acknowledged with resource_version %q", name, apimeta.Meta(o).GetResourceVersion()))
		return
	}
	w.acked[name] = rv
	if !w.lastOK.IsZero() && now.Sub(w.lastOK) > w.maxGap {
		w.maxGap, w.maxGapEnd = now.Sub(w.lastOK), now
	}
	w.lastOK = now
}

func (w *writeLog) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *writeLog) snapshot() (acked map[string]uint64, errs map[string]int, bad []string, maxGap time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	acked = make(map[string]uint64, len(w.acked))
	for k, v := range w.acked {
		acked[k] = v
	}
	errs = make(map[string]int, len(w.errs))
	for k, v := range w.errs {
		errs[k] = v
	}
	return acked, errs, append([]string(nil), w.bad...), w.maxGap
}

// writers runs n goroutines that each create ConfigMaps named
// "<prefix><i>-<seq>" in a loop until stop is called. Stopping lets every
// call in flight finish, so each write's outcome is known to the log.
type writers struct {
	stopping atomic.Bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startWriters(t testing.TB, log *writeLog, prefix string, n int, create func(ctx context.Context, i int, name string) (*gantryv1.Object, error)) *writers {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writers{cancel: cancel}
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for seq := 0; !w.stopping.Load(); seq++ {
				name := fmt.Sprintf("%s%d-%d", prefix, i, seq)
				o, err := create(ctx, i, name)
				if ctx.Err() != nil {
					return // the test ended
				}
				log.record(t, name, o, err)
				if err != nil {
					// Space retries a little while there is no leader.
					select {
					case <-ctx.Done():
					case <-time.After(10 * time.Millisecond):
					}
				}
			}
		}()
	}
	t.Cleanup(func() { w.cancel(); w.wg.Wait() })
	return w
}

// stop waits until every writer has finished its current call.
func (w *writers) stop() {
	w.stopping.Store(true)
	w.wg.Wait()
}

// checkAcked fails the test unless every acknowledged create is readable
// (linearizably, with the acknowledged resource_version) from m.
func checkAcked(t testing.TB, m *testutil.Member, acked map[string]uint64) {
	t.Helper()
	items, _, err := listAll(t.Context(), m.Resource, apimeta.KindConfigMap, gantryv1.Consistency_CONSISTENCY_LINEARIZABLE)
	if err != nil {
		t.Fatalf("%s: %v", m.ID, err)
	}
	have := map[string]string{}
	for _, o := range items {
		have[apimeta.Meta(o).GetName()] = apimeta.Meta(o).GetResourceVersion()
	}
	lost := 0
	for name, rv := range acked {
		if got, ok := have[name]; !ok || got != apimeta.FormatResourceVersion(rv) {
			if lost++; lost <= 10 {
				t.Errorf("%s: acknowledged create %s (rv %d) reads back as rv %q (present: %v)", m.ID, name, rv, got, ok)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%s: %d of %d acknowledged creates lost", m.ID, lost, len(acked))
	}
}

// snapshotMeta is the part of a raft FileSnapshotStore meta.json we read.
type snapshotMeta struct {
	ID    string
	Index uint64
	Term  uint64
}

// snapshotsOn lists the snapshots in a member's data directory (raft's
// FileSnapshotStore keeps them in snapshots/ under the directory it is
// given, which is <data dir>/snapshots). A
// snapshot being written has no meta.json yet, or a partial one; both
// are skipped.
func snapshotsOn(m *testutil.Member) ([]snapshotMeta, error) {
	dir := filepath.Join(m.Cfg.DataDir, "snapshots", "snapshots")
	dirs, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []snapshotMeta
	for _, d := range dirs {
		if !d.IsDir() || strings.HasSuffix(d.Name(), ".tmp") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, d.Name(), "meta.json"))
		if err != nil {
			continue
		}
		var sm snapshotMeta
		if json.Unmarshal(b, &sm) == nil {
			out = append(out, sm)
		}
	}
	return out, nil
}

func maxSnapshotIndex(m *testutil.Member) uint64 {
	snaps, _ := snapshotsOn(m)
	var max uint64
	for _, s := range snaps {
		if s.Index > max {
			max = s.Index
		}
	}
	return max
}

// watchEvent is one received event, flattened.
type watchEvent struct {
	Type gantryv1.WatchEventType
	Name string
	RV   uint64
}

func flatten(t testing.TB, resp *gantryv1.WatchResponse) []watchEvent {
	t.Helper()
	var out []watchEvent
	for _, e := range resp.GetEvents() {
		rv, err := apimeta.ParseResourceVersion(e.GetResourceVersion())
		if err != nil {
			t.Errorf("event with resource_version %q", e.GetResourceVersion())
		}
		out = append(out, watchEvent{Type: e.GetType(), Name: apimeta.Meta(e.GetObject()).GetName(), RV: rv})
	}
	return out
}

// checkWatchedExactlyOnce fails unless evs hold exactly one ADDED event
// per object in want (name -> resource_version), in strictly increasing
// resource_version order, and nothing else.
func checkWatchedExactlyOnce(t testing.TB, evs []watchEvent, want map[string]uint64) {
	t.Helper()
	seen := map[string]int{}
	var prev uint64
	for i, e := range evs {
		if e.Type != gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED {
			t.Errorf("event %d: %v %s, want only ADDED", i, e.Type, e.Name)
		}
		if e.RV <= prev {
			t.Errorf("event %d (%s) has rv %d after rv %d: not strictly increasing", i, e.Name, e.RV, prev)
		}
		prev = e.RV
		seen[e.Name]++
		if rv, ok := want[e.Name]; !ok {
			t.Errorf("event %d: %s (rv %d) is not a stored object", i, e.Name, e.RV)
		} else if rv != e.RV {
			t.Errorf("event %d: %s has rv %d, stored with %d", i, e.Name, e.RV, rv)
		}
	}
	missing := 0
	for name := range want {
		switch seen[name] {
		case 0:
			if missing++; missing <= 10 {
				t.Errorf("no event for %s (rv %d)", name, want[name])
			}
		case 1:
		default:
			t.Errorf("%s delivered %d times", name, seen[name])
		}
	}
	if missing > 0 || t.Failed() {
		t.Fatalf("%d events for %d objects; %d objects missing", len(evs), len(want), missing)
	}
}
