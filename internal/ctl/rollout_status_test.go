package ctl

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/internal/testutil"
)

func TestDeploymentRolloutStatusMessage(t *testing.T) {
	progressing := func(reason string) []*gantryv1.Condition {
		return []*gantryv1.Condition{{Type: deployutil.CondProgressing, Status: "True", Reason: reason}}
	}
	cases := []struct {
		name     string
		gen      int64
		replicas *int32
		revision string // the Deployment's revision annotation
		want     int64  // --revision
		st       *gantryv1.DeploymentStatus
		msg      string
		done     bool
		err      string
	}{
		{name: "spec not observed yet", gen: 2, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3},
			msg: `Waiting for deployment spec update to be observed...`},
		{name: "no status at all", gen: 1, replicas: opsInt32(3), st: nil,
			msg: `Waiting for deployment spec update to be observed...`},
		{name: "updating", gen: 2, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 4, UpdatedReplicas: 1, AvailableReplicas: 3},
			msg: `Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...`},
		{name: "old pods terminating", gen: 2, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 4, UpdatedReplicas: 3, AvailableReplicas: 3},
			msg: `Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...`},
		{name: "updated but not available", gen: 2, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 1},
			msg: `Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...`},
		{name: "complete", gen: 2, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3, Conditions: progressing(deployutil.ReasonNewRSAvailable)},
			msg: `deployment "web" successfully rolled out`, done: true},
		{name: "scaled to zero", gen: 1, replicas: opsInt32(0), st: &gantryv1.DeploymentStatus{ObservedGeneration: 1},
			msg: `deployment "web" successfully rolled out`, done: true},
		{name: "observed generation ahead counts as observed", gen: 2, replicas: opsInt32(1), st: &gantryv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1},
			msg: `deployment "web" successfully rolled out`, done: true},
		{name: "progress deadline exceeded", gen: 2, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 4, UpdatedReplicas: 1, AvailableReplicas: 3,
			Conditions: []*gantryv1.Condition{{Type: deployutil.CondProgressing, Status: "False", Reason: deployutil.ReasonProgressDeadlineExceeded}}},
			err: `deployment "web" exceeded its progress deadline`},
		{name: "deadline ignored until the generation is observed", gen: 3, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 2,
			Conditions: []*gantryv1.Condition{{Type: deployutil.CondProgressing, Status: "False", Reason: deployutil.ReasonProgressDeadlineExceeded}}},
			msg: `Waiting for deployment spec update to be observed...`},
		{name: "paused mid-rollout keeps waiting", gen: 2, replicas: opsInt32(3), st: &gantryv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 0, AvailableReplicas: 3,
			Conditions: []*gantryv1.Condition{{Type: deployutil.CondProgressing, Status: "Unknown", Reason: deployutil.ReasonPaused}}},
			msg: `Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...`},
		{name: "wanted revision runs", gen: 1, replicas: opsInt32(1), revision: "4", want: 4, st: &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1},
			msg: `deployment "web" successfully rolled out`, done: true},
		{name: "another revision runs", gen: 1, replicas: opsInt32(1), revision: "3", want: 4, st: &gantryv1.DeploymentStatus{ObservedGeneration: 1},
			err: `desired revision (4) is different from the running revision (3)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &gantryv1.Deployment{
				Metadata: &gantryv1.ObjectMeta{Name: "web", Generation: tc.gen},
				Spec:     &gantryv1.DeploymentSpec{Replicas: tc.replicas},
				Status:   tc.st,
			}
			if tc.revision != "" {
				d.Metadata.Annotations = map[string]string{deployutil.RevisionAnnotation: tc.revision}
			}
			msg, done, err := deploymentRolloutStatus(d, tc.want)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || msg != tc.msg || done != tc.done {
				t.Fatalf("got (%q, %v, %v), want (%q, %v)", msg, done, err, tc.msg, tc.done)
			}
		})
	}
}

// TestRolloutStatus runs rollout status against a cluster while the test
// writes the status a Deployment controller would.
func TestRolloutStatus(t *testing.T) {
	c := newOpsCluster(t)
	c.create(t, opsDeployment("web", 3, "v1"))

	t.Run("once", func(t *testing.T) {
		c.mustRun(t, "Waiting for deployment spec update to be observed...\n", "rollout", "status", "deploy/web", "--watch=false")
	})
	t.Run("watch until complete", func(t *testing.T) {
		r := c.start(context.Background(), "rollout", "status", "deployment", "web", "--timeout=50s")
		waitOutput(t, r, "Waiting for deployment spec update to be observed...\n")
		c.setDeploymentStatus(t, "web", &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 1})
		waitOutput(t, r, "1 out of 3 new replicas have been updated...\n")
		// A status write that says the same thing prints nothing new.
		c.setDeploymentStatus(t, "web", &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 1})
		c.setDeploymentStatus(t, "web", &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 2})
		waitOutput(t, r, "2 of 3 updated replicas are available...\n")
		c.setDeploymentStatus(t, "web", &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3})
		r.wait(t)
		want := `Waiting for deployment spec update to be observed...
Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...
Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...
deployment "web" successfully rolled out
`
		if r.code != 0 || r.out.String() != want {
			t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.out.String(), want, r.err.String())
		}
	})
	t.Run("complete at once", func(t *testing.T) {
		c.mustRun(t, "deployment \"web\" successfully rolled out\n", "rollout", "status", "deploy/web")
	})
	t.Run("progress deadline exceeded while watched", func(t *testing.T) {
		c.create(t, opsDeployment("slow", 2, "v1"))
		c.setDeploymentStatus(t, "slow", &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2})
		r := c.start(context.Background(), "rollout", "status", "deploy/slow")
		waitOutput(t, r, "0 of 2 updated replicas are available...\n")
		c.setDeploymentStatus(t, "slow", &gantryv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2,
			Conditions: []*gantryv1.Condition{{Type: deployutil.CondProgressing, Status: "False", Reason: deployutil.ReasonProgressDeadlineExceeded}}})
		r.wait(t)
		if r.code != 1 || r.err.String() != "error: deployment/slow: deployment \"slow\" exceeded its progress deadline\n" {
			t.Fatalf("exit %d, stderr %q", r.code, r.err.String())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		c.mustFail(t, []string{"rollout", "status", "deploy/slow", "--timeout=300ms", "--revision=0"}, "exceeded its progress deadline")
		c.create(t, opsDeployment("stuck", 2, "v1"))
		c.mustFail(t, []string{"rollout", "status", "deploy/stuck", "--timeout=300ms"}, "deployment/stuck: timed out waiting for the condition")
	})
	t.Run("deleted while watched", func(t *testing.T) {
		c.create(t, opsDeployment("gone", 1, "v1"))
		r := c.start(context.Background(), "rollout", "status", "deploy/gone")
		waitOutput(t, r, "Waiting for deployment spec update to be observed...\n")
		if _, err := c.cl.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: "Deployment", Namespace: "default", Name: "gone"}); err != nil {
			t.Fatal(err)
		}
		r.wait(t)
		if r.code != 1 || !strings.Contains(r.err.String(), "deleted") {
			t.Fatalf("exit %d, stderr %q", r.code, r.err.String())
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		c.mustFail(t, []string{"rollout", "status", "deploy/nothere"}, "deployment/nothere: not found")
		c.mustFail(t, []string{"rollout", "status", "svc/web"}, "only deployments")
		c.mustFail(t, []string{"rollout", "status", "deploy/web", "deploy/slow"}, "exactly one")
		c.mustFail(t, []string{"rollout", "status", "deployment"}, "a resource name is required")
	})
}

// waitOutput waits until the run's stdout holds want.
func waitOutput(t *testing.T, r *opsRun, want string) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, func() error {
		if out := r.out.String(); !strings.Contains(out, want) {
			select {
			case <-r.done:
				t.Fatalf("gantryctl ended (exit %d) before printing %q:\n%s\n%s", r.code, want, out, r.err.String())
			default:
			}
			return fmt.Errorf("stdout %q does not hold %q", out, want)
		}
		return nil
	})
}
