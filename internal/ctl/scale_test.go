package ctl

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
)

func TestScale(t *testing.T) {
	c := newOpsCluster(t)
	c.create(t, opsDeployment("web", 1, "v1"))
	c.create(t, &gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{Name: "cache", Namespace: "default"},
		Spec: &gantryv1.ReplicaSetSpec{Replicas: opsInt32(2),
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}, Template: opsTemplate("cache", "v1")},
	})
	replicas := func(t *testing.T, kind, name string) int32 {
		t.Helper()
		return **replicasField(c.get(t, kind, "default", name))
	}

	t.Run("deployment and replicaset", func(t *testing.T) {
		c.mustRun(t, "deployment/web scaled\n", "scale", "deploy/web", "--replicas=3")
		c.mustRun(t, "replicaset/cache scaled\n", "scale", "replicasets", "cache", "--replicas", "0")
		if w, r := replicas(t, apimeta.KindDeployment, "web"), replicas(t, apimeta.KindReplicaSet, "cache"); w != 3 || r != 0 {
			t.Fatalf("replicas web %d, cache %d; want 3 and 0", w, r)
		}
		c.mustRun(t, "deployment/web scaled\nreplicaset/cache scaled\n", "scale", "deploy/web", "rs/cache", "--replicas=1")
	})
	t.Run("current replicas precondition", func(t *testing.T) {
		c.mustFail(t, []string{"scale", "deployment", "web", "--current-replicas=2", "--replicas=5"},
			"deployment/web: expected replicas to be 2, was 1")
		if r := replicas(t, apimeta.KindDeployment, "web"); r != 1 {
			t.Fatalf("replicas %d after a failed precondition, want 1", r)
		}
		c.mustRun(t, "deployment/web scaled\n", "scale", "deployment", "web", "--current-replicas=1", "--replicas=5")
		if r := replicas(t, apimeta.KindDeployment, "web"); r != 5 {
			t.Fatalf("replicas %d, want 5", r)
		}
	})
	t.Run("resource version precondition", func(t *testing.T) {
		rv := c.get(t, apimeta.KindDeployment, "default", "web").GetDeployment().GetMetadata().GetResourceVersion()
		c.mustRun(t, "deployment/web scaled\n", "scale", "deploy/web", "--replicas=4", "--resource-version="+rv)
		c.mustFail(t, []string{"scale", "deploy/web", "--replicas=2", "--resource-version=" + rv}, "deployment/web: conflict")
		if r := replicas(t, apimeta.KindDeployment, "web"); r != 4 {
			t.Fatalf("replicas %d after a stale --resource-version, want 4", r)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		c.mustFail(t, []string{"scale", "deploy/web"}, "--replicas=COUNT flag is required")
		c.mustFail(t, []string{"scale", "deploy/web", "--replicas=-1"}, "--replicas=COUNT flag is required")
		c.mustFail(t, []string{"scale", "svc/web", "--replicas=1"}, "cannot scale a Service")
		c.mustFail(t, []string{"scale", "deployment", "--replicas=1"}, "a resource name is required")
		c.mustFail(t, []string{"scale", "deploy/nothere", "--replicas=1"}, "deployment/nothere: not found")
	})
}

// TestUpdateWithRetryRereadsOnConflict: a write that lands between
// gantryctl's read and its update makes the update fail with ABORTED;
// gantryctl reads again, decides again on the fresh object and keeps the
// other writer's change.
func TestUpdateWithRetryRereadsOnConflict(t *testing.T) {
	c := newOpsCluster(t)
	c.create(t, opsDeployment("web", 1, "v1"))
	e := &env{servers: strings.Split(c.servers, ",")}
	defer e.close()
	var calls atomic.Int32
	ctx := context.Background()
	obj, changed, err := e.updateWithRetry(ctx, apimeta.KindDeployment, "default", "web", maxConflictRetries,
		func(ctx context.Context, obj *gantryv1.Object) (bool, error) {
			if calls.Add(1) == 1 {
				// Someone else writes first.
				other := c.deployment(t, "web")
				other.Metadata.Labels = map[string]string{"touched": "yes"}
				if _, err := c.cl.Update(ctx, apimeta.Wrap(other)); err != nil {
					return false, err
				}
			}
			obj.GetDeployment().Spec.Paused = true
			return true, nil
		})
	if err != nil || !changed {
		t.Fatalf("updateWithRetry = %v, %v", changed, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("mutate ran %d times, want 2 (one conflict, one retry)", calls.Load())
	}
	d := c.deployment(t, "web")
	if !d.GetSpec().GetPaused() || d.GetMetadata().GetLabels()["touched"] != "yes" || !obj.GetDeployment().GetSpec().GetPaused() {
		t.Fatalf("stored %v: want both the other writer's label and our change", d.GetMetadata())
	}

	// A writer that always gets in first exhausts the attempts.
	calls.Store(0)
	_, _, err = e.updateWithRetry(ctx, apimeta.KindDeployment, "default", "web", 3,
		func(ctx context.Context, obj *gantryv1.Object) (bool, error) {
			calls.Add(1)
			other := c.deployment(t, "web")
			other.Metadata.Labels = map[string]string{"n": string(rune('a' + calls.Load()))}
			if _, err := c.cl.Update(ctx, apimeta.Wrap(other)); err != nil {
				return false, err
			}
			return true, nil
		})
	if !statusIs(err, codes.Aborted) || calls.Load() != 3 {
		t.Fatalf("err %v after %d attempts, want ABORTED after 3", err, calls.Load())
	}
}
