package ctl

import (
	"strconv"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
)

func TestRolloutPauseResumeRestart(t *testing.T) {
	c := newOpsCluster(t)
	c.create(t, opsDeployment("web", 2, "v1"))

	c.mustRun(t, "deployment/web paused\n", "rollout", "pause", "deploy/web")
	if !c.deployment(t, "web").GetSpec().GetPaused() {
		t.Fatal("spec.paused not set")
	}
	c.mustRun(t, "deployment/web already paused\n", "rollout", "pause", "deployment", "web")
	c.mustFail(t, []string{"rollout", "restart", "deploy/web"}, "deployment/web: can't restart paused deployment (run rollout resume first)")
	c.mustFail(t, []string{"rollout", "undo", "deploy/web"}, "deployment/web: you cannot rollback a paused deployment")

	c.mustRun(t, "deployment/web resumed\n", "rollout", "resume", "deploy/web")
	c.mustRun(t, "deployment/web already resumed\n", "rollout", "resume", "deploy/web")
	if c.deployment(t, "web").GetSpec().GetPaused() {
		t.Fatal("spec.paused still set")
	}

	before := c.deployment(t, "web")
	c.mustRun(t, "deployment/web restarted\n", "rollout", "restart", "deploy/web")
	after := c.deployment(t, "web")
	at, err := time.Parse(time.RFC3339, after.GetSpec().GetTemplate().GetMetadata().GetAnnotations()[deployutil.RestartedAtAnnotation])
	if err != nil || time.Since(at) > time.Minute || time.Until(at) > time.Minute {
		t.Fatalf("restartedAt %v (%v): want about now, RFC 3339", at, err)
	}
	if after.GetMetadata().GetGeneration() <= before.GetMetadata().GetGeneration() {
		t.Fatal("restart did not change the spec (generation unchanged)")
	}
	if after.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage() != "v1" {
		t.Fatal("restart changed the template beyond its annotation")
	}
	c.mustFail(t, []string{"rollout", "pause", "rs/web"}, "only deployments")
	c.mustFail(t, []string{"rollout", "resume", "deploy/nothere"}, "deployment/nothere: not found")
}

// seedRevisions creates what the Deployment controller would have made
// for web at v1 then v2: two ReplicaSets owned by it with revisions 1 and
// 2 (v2 current), plus a ReplicaSet with the same labels that another
// Deployment owns, which history and undo must ignore.
func seedRevisions(t *testing.T, c *opsCluster) {
	t.Helper()
	d := opsDeployment("web", 2, "v2")
	d.Metadata.Annotations = map[string]string{deployutil.RevisionAnnotation: "2"}
	uid := apimeta.Meta(c.create(t, d)).GetUid()
	c.create(t, opsRevision("web-aaa", 1, "v1", "first release", uid))
	c.create(t, opsRevision("web-bbb", 2, "v2", "", uid))
	c.create(t, opsRevision("web-zzz", 9, "v9", "not ours", "another-uid"))
}

func opsRevision(name string, revision int64, image, cause, ownerUID string) *gantryv1.ReplicaSet {
	yes := true
	hash := strings.TrimPrefix(name, "web-")
	tmpl := opsTemplate("web", image)
	tmpl.Metadata.Labels[deployutil.PodTemplateHashLabel] = hash
	ann := map[string]string{deployutil.RevisionAnnotation: strconv.FormatInt(revision, 10)}
	if cause != "" {
		ann[deployutil.ChangeCauseAnnotation] = cause
	}
	return &gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{
			Name: name, Namespace: "default", Labels: tmpl.Metadata.Labels, Annotations: ann,
			OwnerReferences: []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: "Deployment", Name: "web", Uid: ownerUID, Controller: &yes}},
		},
		Spec: &gantryv1.ReplicaSetSpec{
			Replicas: opsInt32(0), Template: tmpl,
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web", deployutil.PodTemplateHashLabel: hash}},
		},
	}
}

func TestRolloutHistory(t *testing.T) {
	c := newOpsCluster(t)
	seedRevisions(t, c)
	c.mustRun(t, "deployment/web\nREVISION  CHANGE-CAUSE\n1         first release\n2         <none>\n", "rollout", "history", "deploy/web")

	out, errOut, code := c.run(t, "rollout", "history", "deployment", "web", "--revision=1")
	for _, want := range []string{
		"deployment/web with revision #1\n", "Pod Template:\n", "  Labels:", "app=web\n", "pod-template-hash=aaa\n",
		"  Annotations:", "kubernetes.io/change-cause: first release\n", "  Containers:\n   c:\n", "    Image:", "v1\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("history --revision 1: exit %d, stdout\n%s\nlacks %q (stderr %q)", code, out, want, errOut)
		}
	}
	c.mustFail(t, []string{"rollout", "history", "deploy/web", "--revision=9"}, "deployment/web: unable to find revision 9 in history")
	c.mustFail(t, []string{"rollout", "history", "deploy/nothere"}, "deployment/nothere: not found")

	c.create(t, opsDeployment("fresh", 1, "v1"))
	c.mustRun(t, "deployment/fresh\nNo rollout history found.\n", "rollout", "history", "deploy/fresh")
}

func TestRolloutUndo(t *testing.T) {
	c := newOpsCluster(t)
	seedRevisions(t, c)
	image := func() string {
		return c.deployment(t, "web").GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage()
	}

	c.mustRun(t, "deployment/web rolled back\n", "rollout", "undo", "deploy/web")
	d := c.deployment(t, "web")
	if image() != "v1" {
		t.Fatalf("image %q after undo, want v1 (revision 1)", image())
	}
	if _, ok := d.GetSpec().GetTemplate().GetMetadata().GetLabels()[deployutil.PodTemplateHashLabel]; ok {
		t.Fatal("the rolled-back template carries the pod-template-hash label")
	}
	if d.GetMetadata().GetAnnotations()[deployutil.ChangeCauseAnnotation] != "first release" {
		t.Fatalf("annotations %v: want revision 1's change cause copied", d.GetMetadata().GetAnnotations())
	}

	// Without a controller the revisions stay 1 and 2: the previous one
	// is still 1, which is what runs now.
	c.mustRun(t, "deployment/web skipped rollback (current template already matches revision 1)\n", "rollout", "undo", "deploy/web")
	c.mustRun(t, "deployment/web rolled back\n", "rollout", "undo", "deployment", "web", "--to-revision=2")
	if image() != "v2" {
		t.Fatalf("image %q after undo --to-revision=2, want v2", image())
	}
	c.mustFail(t, []string{"rollout", "undo", "deploy/web", "--to-revision=9"}, "deployment/web: unable to find specified revision 9 in history")
	c.mustFail(t, []string{"rollout", "undo", "deploy/web", "--to-revision=-1"}, "must not be negative")

	c.create(t, opsDeployment("fresh", 1, "v1"))
	c.mustFail(t, []string{"rollout", "undo", "deploy/fresh"}, `deployment/fresh: no rollout history found for deployment "fresh"`)
}
