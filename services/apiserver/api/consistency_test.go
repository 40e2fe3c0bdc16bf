package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// TestWritesAndReadsThroughAnyMaster checks that followers forward writes,
// that default reads on any master see every write that finished before
// them, and the stale and min_resource_version read options.
func TestWritesAndReadsThroughAnyMaster(t *testing.T) {
	c := newCluster(t)
	leader := c.Leader()
	fs := c.Followers()

	t.Run("write on one follower, read on the other", func(t *testing.T) {
		for i := 0; i < 12; i++ {
			w, r := fs[i%2], fs[(i+1)%2]
			name := fmt.Sprintf("rw-%d", i)
			out := create(t, w, configMap("default", name, nil, map[string]string{"i": fmt.Sprint(i)}))
			// Linearizable by default: no retry, no wait.
			if got := get(t, r, "ConfigMap", "default", name); !proto.Equal(got, out) {
				t.Fatalf("%s read\n%v\nright after %s wrote\n%v", r.ID, got, w.ID, out)
			}
			out.GetConfigMap().Data["i"] = "updated"
			up := update(t, r, out)
			if got := get(t, w, "ConfigMap", "default", name); rvOf(got) != rvOf(up) || got.GetConfigMap().GetData()["i"] != "updated" {
				t.Fatalf("%s read version %s right after %s updated to %s", w.ID, rvOf(got), r.ID, rvOf(up))
			}
			if i%3 == 0 {
				del(t, w, "ConfigMap", "default", name)
				_, err := r.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "ConfigMap", Name: name})
				wantStatus(t, err, codes.NotFound, name)
				continue
			}
			// A list right after the write includes it too.
			found := false
			for _, o := range listAll(t, r, &gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "metadata.name=" + name}) {
				found = found || rvOf(o) == rvOf(up)
			}
			if !found {
				t.Fatalf("%s list right after the update misses %s at %s", r.ID, name, rvOf(up))
			}
		}
	})

	t.Run("concurrent writes through every master", func(t *testing.T) {
		create(t, leader, namespace("concurrent"))
		var wg sync.WaitGroup
		errs := make(chan error, 60)
		for _, m := range c.Members {
			wg.Add(1)
			go func(m *testutil.Member) {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
					_, err := m.Resource.Create(ctx, &gantryv1.CreateRequest{Object: configMap("concurrent", fmt.Sprintf("%s-%d", m.ID, i), nil, nil)})
					cancel()
					if err != nil {
						errs <- fmt.Errorf("create through %s: %w", m.ID, err)
					}
				}
			}(m)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for _, m := range c.Members {
			items := listAll(t, m, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "concurrent"})
			versions := map[string]bool{}
			for _, o := range items {
				versions[rvOf(o)] = true
			}
			if len(items) != 60 || len(versions) != 60 {
				t.Errorf("%s lists %d objects with %d distinct versions, want 60 and 60", m.ID, len(items), len(versions))
			}
		}
	})

	t.Run("stale reads", func(t *testing.T) {
		out := create(t, fs[0], configMap("default", "stale", nil, nil))
		for _, m := range c.Members {
			// Stale reads answer from local state; they catch up quickly.
			testutil.Eventually(t, 5*time.Second, func() error {
				resp, err := m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "ConfigMap", Name: "stale", Consistency: gantryv1.Consistency_CONSISTENCY_STALE})
				if err != nil {
					return err
				}
				if !proto.Equal(resp.GetObject(), out) {
					return fmt.Errorf("%s: stale read %v", m.ID, resp.GetObject())
				}
				return nil
			})
			resp, err := m.Resource.List(ctxT(t), &gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "metadata.name=stale", Consistency: gantryv1.Consistency_CONSISTENCY_STALE})
			if err != nil || len(resp.GetItems()) != 1 {
				t.Errorf("%s: stale list: %v, %d items", m.ID, err, len(resp.GetItems()))
			}
			_, err = m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "ConfigMap", Name: "never", Consistency: gantryv1.Consistency_CONSISTENCY_STALE})
			wantStatus(t, err, codes.NotFound, "never")
		}
	})

	t.Run("min_resource_version", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			name := fmt.Sprintf("minrv-%d", i)
			out := create(t, c.Members[i%3], configMap("default", name, nil, nil))
			for _, m := range c.Members {
				for _, cons := range []gantryv1.Consistency{gantryv1.Consistency_CONSISTENCY_STALE, gantryv1.Consistency_CONSISTENCY_LINEARIZABLE} {
					resp, err := m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "ConfigMap", Name: name, Consistency: cons, MinResourceVersion: rvOf(out)})
					if err != nil {
						t.Fatalf("%s: %s get at min_resource_version %s: %v", m.ID, cons, rvOf(out), err)
					}
					if !proto.Equal(resp.GetObject(), out) {
						t.Fatalf("%s: %s get at min_resource_version %s returned %v", m.ID, cons, rvOf(out), resp.GetObject())
					}
				}
				resp, err := m.Resource.List(ctxT(t), &gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "metadata.name=" + name,
					Consistency: gantryv1.Consistency_CONSISTENCY_STALE, MinResourceVersion: rvOf(out)})
				if err != nil || len(resp.GetItems()) != 1 {
					t.Fatalf("%s: stale list at min_resource_version %s: %v, %d items", m.ID, rvOf(out), err, len(resp.GetItems()))
				}
				if rvNum(t, resp.GetResourceVersion()) < rvNum(t, rvOf(out)) {
					t.Errorf("%s: list at %s answered at %s", m.ID, rvOf(out), resp.GetResourceVersion())
				}
			}
		}
	})

	t.Run("a version no master has yet is waited for, never answered early", func(t *testing.T) {
		future := apimeta.FormatResourceVersion(leader.Server().Store().Revision() + 1_000_000)
		for _, m := range c.Members {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			_, err := m.Resource.Get(ctx, &gantryv1.GetRequest{Kind: "ConfigMap", Name: "minrv-0", Consistency: gantryv1.Consistency_CONSISTENCY_STALE, MinResourceVersion: future})
			cancel()
			if code := status.Code(err); code != codes.DeadlineExceeded && code != codes.Unavailable {
				t.Errorf("%s: get at min_resource_version %s: %v, want DEADLINE_EXCEEDED or UNAVAILABLE", m.ID, future, err)
			}
		}
	})
}
