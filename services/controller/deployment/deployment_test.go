package deployment

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

func TestNewDeploymentCreatesItsReplicaSet(t *testing.T) {
	w := newWorld(t)
	d := w.w.Seed(newDeployment("web", 3, "v1"))[0]
	w.deploy("default/web")
	rs := w.rsList()
	if len(rs) != 1 {
		t.Fatalf("%d ReplicaSets, want 1", len(rs))
	}
	r := rs[0]
	hash := ComputeHash(d.GetDeployment().GetSpec().GetTemplate(), nil)
	m := r.GetMetadata()
	if m.GetName() != "web-"+hash || r.GetSpec().GetReplicas() != 3 {
		t.Fatalf("ReplicaSet %s with %d replicas, want web-%s with 3", m.GetName(), r.GetSpec().GetReplicas(), hash)
	}
	if r.GetSpec().GetSelector().GetMatchLabels()[deployutil.PodTemplateHashLabel] != hash ||
		r.GetSpec().GetTemplate().GetMetadata().GetLabels()[deployutil.PodTemplateHashLabel] != hash || m.GetLabels()[deployutil.PodTemplateHashLabel] != hash {
		t.Fatalf("hash label missing from selector, template or labels: %v", r)
	}
	if r.GetSpec().GetTemplate().GetMetadata().GetLabels()["app"] != "web" {
		t.Fatal("template labels lost")
	}
	ref := ctrl.ControllerRef(m)
	if ref == nil || ref.GetKind() != "Deployment" || ref.GetApiVersion() != "apps/v1" || ref.GetUid() != ctrl.Meta(d).GetUid() || !ref.GetBlockOwnerDeletion() {
		t.Fatalf("owner reference %v", ref)
	}
	ann := m.GetAnnotations()
	if ann[deployutil.RevisionAnnotation] != "1" || ann[deployutil.DesiredReplicasAnnotation] != "3" || ann[deployutil.MaxReplicasAnnotation] != "4" {
		t.Fatalf("annotations %v", ann)
	}
	dep := w.deployment("web")
	if dep.GetMetadata().GetAnnotations()[deployutil.RevisionAnnotation] != "1" {
		t.Fatalf("deployment annotations %v, want revision 1", dep.GetMetadata().GetAnnotations())
	}
	if c := deployutil.Condition(dep.GetStatus().GetConditions(), deployutil.CondProgressing); c.GetReason() != "NewReplicaSetCreated" {
		t.Fatalf("Progressing %v, want NewReplicaSetCreated", c)
	}
	// Run it to completion: 3 pods, all available, status says so.
	w.runUntilComplete("web", 20)
	st := w.deployment("web").GetStatus()
	if st.GetAvailableReplicas() != 3 || st.GetUpdatedReplicas() != 3 || st.GetObservedGeneration() != 1 {
		t.Fatalf("status %v", st)
	}
	if c := deployutil.Condition(st.GetConditions(), deployutil.CondProgressing); c.GetStatus() != "True" || c.GetReason() != deployutil.ReasonNewRSAvailable {
		t.Fatalf("Progressing %v", c)
	}
}

func TestRecreateNeverRunsOldAndNewTogether(t *testing.T) {
	w := newWorld(t)
	d := newDeployment("web", 4, "v1")
	d.GetDeployment().Spec.Strategy = &gantryv1.DeploymentStrategy{Type: Recreate}
	w.w.Seed(d)
	w.runUntilComplete("web", 20)
	w.w.GracefulPods = true // old pods take a while to go
	sawGap := false
	w.check = func(stage string) {
		var oldPods, newPods int
		cur := w.deployment("web").GetSpec().GetTemplate()
		for _, o := range w.w.Objects(apimeta.KindPod) {
			p := o.GetPod()
			if ctrl.IsPodTerminal(p) {
				continue
			}
			rsName := ctrl.ControllerRef(p.GetMetadata()).GetName()
			rs := w.w.Object(apimeta.KindReplicaSet, "default", rsName).GetReplicaSet()
			if deployutil.EqualIgnoreHash(rs.GetSpec().GetTemplate(), cur) {
				newPods++
			} else {
				oldPods++
			}
		}
		if oldPods > 0 && newPods > 0 {
			t.Fatalf("after %s: %d old and %d new pods at once", stage, oldPods, newPods)
		}
		sawGap = sawGap || (oldPods == 0 && newPods == 0)
	}
	w.setImage("web", "v2")
	for i := 0; i < 3; i++ {
		w.step("default/web")
		// The node agent finishes deleting terminating pods one step late.
		for _, o := range w.w.Objects(apimeta.KindPod) {
			if o.GetPod().GetMetadata().GetDeletionTimestamp() != nil {
				w.w.FinishPodDeletion("default", o.GetPod().GetMetadata().GetName())
			}
		}
	}
	w.runUntilComplete("web", 20)
	if !sawGap {
		t.Fatal("Recreate never went through zero pods")
	}
	if rs := w.rsList(); len(rs) != 2 || rs[0].GetSpec().GetReplicas() != 0 || rs[1].GetSpec().GetReplicas() != 4 {
		t.Fatalf("ReplicaSets %s", rsSummary(rs))
	}
}

func TestRevisionHistoryLimitDeletesOldestRevisions(t *testing.T) {
	w := newWorld(t)
	d := newDeployment("web", 2, "v1")
	d.GetDeployment().Spec.RevisionHistoryLimit = int32p(2)
	w.w.Seed(d)
	w.runUntilComplete("web", 20)
	for _, image := range []string{"v2", "v3", "v4", "v5"} {
		w.setImage("web", image)
		w.runUntilComplete("web", 30)
	}
	// Once complete, one more sync with fresh ReplicaSet status cleans up.
	w.step("default/web")
	w.step("default/web")
	rs := w.rsList()
	var revs []int64
	for _, r := range rs {
		revs = append(revs, deployutil.Revision(r.GetMetadata()))
	}
	if len(revs) != 3 || revs[0] != 3 || revs[1] != 4 || revs[2] != 5 {
		t.Fatalf("revisions %v left, want [3 4 5] (the new one and 2 old)", revs)
	}
}

// TestRollbackReusesOldReplicaSet: a client-side rollback
// (deployutil.Rollback, whose choices its own tests cover) makes the
// controller scale the old ReplicaSet back up under the next revision.
func TestRollbackReusesOldReplicaSet(t *testing.T) {
	w := newWorld(t)
	w.w.Seed(newDeployment("web", 3, "v1"))
	w.runUntilComplete("web", 20)
	w.setImage("web", "v2")
	w.runUntilComplete("web", 30)
	next, target, err := deployutil.Rollback(w.deployment("web"), w.rsList(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if deployutil.Revision(target.GetMetadata()) != 1 || next.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage() != "v1" {
		t.Fatalf("rollback target revision %d, image %q; want revision 1, v1",
			deployutil.Revision(target.GetMetadata()), next.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage())
	}
	if _, err := w.w.Update(context.Background(), apimeta.Wrap(next)); err != nil {
		t.Fatal(err)
	}
	w.runUntilComplete("web", 30)
	rs := w.rsList()
	if len(rs) != 2 {
		t.Fatalf("ReplicaSets %s, want the old one reused, no third", rsSummary(rs))
	}
	// The v1 ReplicaSet is now revision 3 and runs everything.
	last := rs[1]
	if deployutil.Revision(last.GetMetadata()) != 3 || last.GetSpec().GetReplicas() != 3 || last.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage() != "v1" {
		t.Fatalf("ReplicaSets %s, want v1 at revision 3 with 3 replicas", rsSummary(rs))
	}
	if w.deployment("web").GetMetadata().GetAnnotations()[deployutil.RevisionAnnotation] != "3" {
		t.Fatal("Deployment revision annotation not 3")
	}
	// Rolling back again goes to revision 2 (v2), the one before the newest.
	if _, target, err := deployutil.Rollback(w.deployment("web"), w.rsList(), 0); err != nil || deployutil.Revision(target.GetMetadata()) != 2 {
		t.Fatalf("second rollback target %v, %v; want revision 2", target, err)
	}
}

func TestPausedDeploymentScalesButDoesNotRollOut(t *testing.T) {
	w := newWorld(t)
	w.w.Seed(newDeployment("web", 3, "v1"))
	w.runUntilComplete("web", 20)
	w.w.Mutate(apimeta.KindDeployment, "default", "web", func(o *gantryv1.Object) {
		d := o.GetDeployment()
		d.Spec.Paused = true
		d.Spec.Template.Spec.Containers[0].Image = "v2"
		d.Spec.Replicas = int32p(5)
		d.Metadata.Generation++
	})
	for i := 0; i < 5; i++ {
		w.step("default/web")
	}
	rs := w.rsList()
	if len(rs) != 1 || rs[0].GetSpec().GetReplicas() != 5 {
		t.Fatalf("ReplicaSets %s, want the one v1 ReplicaSet scaled to 5", rsSummary(rs))
	}
	c := deployutil.Condition(w.deployment("web").GetStatus().GetConditions(), deployutil.CondProgressing)
	if c.GetStatus() != "Unknown" || c.GetReason() != deployutil.ReasonPaused {
		t.Fatalf("Progressing %v, want Unknown/DeploymentPaused", c)
	}
	w.w.Mutate(apimeta.KindDeployment, "default", "web", func(o *gantryv1.Object) { o.GetDeployment().Spec.Paused = false })
	w.runUntilComplete("web", 40)
	if rs := w.rsList(); len(rs) != 2 || rs[1].GetSpec().GetReplicas() != 5 {
		t.Fatalf("after resume: %s", rsSummary(rs))
	}
}

func TestScalingMidRolloutIsProportional(t *testing.T) {
	w := newWorld(t)
	d := newDeployment("web", 10, "v1")
	d.GetDeployment().Spec.Strategy.RollingUpdate = &gantryv1.RollingUpdateDeployment{MaxSurge: "3", MaxUnavailable: "2"}
	w.w.Seed(d)
	w.runUntilComplete("web", 20)
	w.readyAfter = func(string) int { return 1000 } // new pods never become ready
	w.setImage("web", "v2")
	for i := 0; i < 3; i++ {
		w.step("default/web")
	}
	// Stuck mid-rollout: old 8, new 5 (10+3 pods, 8 available).
	rs := w.rsList()
	if len(rs) != 2 || rs[0].GetSpec().GetReplicas() != 8 || rs[1].GetSpec().GetReplicas() != 5 {
		t.Fatalf("mid-rollout ReplicaSets %s, want 8 old and 5 new", rsSummary(rs))
	}
	w.w.Mutate(apimeta.KindDeployment, "default", "web", func(o *gantryv1.Object) { o.GetDeployment().Spec.Replicas = int32p(20) })
	w.deploy("default/web")
	rs = w.rsList()
	// 20+3(surge... 25% of nothing: surge is "3") = 23 allowed; 10 to add,
	// shared 8:5 of the old total 13 -> +6 and +4.
	if rs[0].GetSpec().GetReplicas() != 14 || rs[1].GetSpec().GetReplicas() != 9 {
		t.Fatalf("after scaling to 20: %s, want 14 old and 9 new", rsSummary(rs))
	}
	for _, r := range rs {
		if r.GetMetadata().GetAnnotations()[deployutil.DesiredReplicasAnnotation] != "20" || r.GetMetadata().GetAnnotations()[deployutil.MaxReplicasAnnotation] != "23" {
			t.Fatalf("annotations of %s: %v", r.GetMetadata().GetName(), r.GetMetadata().GetAnnotations())
		}
	}
}

func TestProgressDeadlineExceeded(t *testing.T) {
	w := newWorld(t)
	d := newDeployment("web", 2, "v1")
	d.GetDeployment().Spec.ProgressDeadlineSeconds = int32p(30)
	w.w.Seed(d)
	w.runUntilComplete("web", 20)
	w.readyAfter = func(string) int { return 1 << 30 }
	w.setImage("web", "v2")
	for i := 0; i < 5; i++ {
		w.step("default/web")
	}
	c := deployutil.Condition(w.deployment("web").GetStatus().GetConditions(), deployutil.CondProgressing)
	if c.GetStatus() != "True" || c.GetReason() != deployutil.ReasonReplicaSetUpdated {
		t.Fatalf("Progressing %v while rolling, want True/ReplicaSetUpdated", c)
	}
	// The controller asked to come back just after the deadline.
	if w.dc.queue.Waiting() == 0 {
		t.Fatal("no re-queue for the progress deadline")
	}
	w.w.Clock.Step(31 * time.Second)
	w.step("default/web")
	c = deployutil.Condition(w.deployment("web").GetStatus().GetConditions(), deployutil.CondProgressing)
	if c.GetStatus() != "False" || c.GetReason() != deployutil.ReasonProgressDeadlineExceeded {
		t.Fatalf("Progressing %v after the deadline, want False/ProgressDeadlineExceeded", c)
	}
	if a := deployutil.Condition(w.deployment("web").GetStatus().GetConditions(), deployutil.CondAvailable); a.GetStatus() != "True" {
		t.Fatalf("Available %v: the old pods still serve", a)
	}
}

func TestHashCollisionBumpsCollisionCount(t *testing.T) {
	w := newWorld(t)
	d := newDeployment("web", 1, "v1")
	hash := ComputeHash(d.GetDeployment().GetSpec().GetTemplate(), nil)
	// Someone else's ReplicaSet holds the name (another template, not
	// selected by the Deployment, not owned by it).
	squatter := apimeta.Wrap(&gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{Name: "web-" + hash, Namespace: "default"},
		Spec: &gantryv1.ReplicaSetSpec{Replicas: int32p(0), Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "other"}},
			Template: &gantryv1.PodTemplateSpec{Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": "other"}}}},
	})
	w.w.Seed(d, squatter)
	err := w.dc.Reconcile(context.Background(), "default/web")
	if !errors.Is(err, ErrHashCollision) {
		t.Fatalf("reconcile = %v, want a hash collision", err)
	}
	if cc := w.deployment("web").GetStatus().CollisionCount; cc == nil || *cc != 1 {
		t.Fatalf("collisionCount %v, want 1", cc)
	}
	w.w.Sync()
	w.deploy("default/web")
	var mine []string
	for _, r := range w.rsList() {
		if ctrl.ControllerRef(r.GetMetadata()) != nil {
			mine = append(mine, r.GetMetadata().GetName())
		}
	}
	one := int32(1)
	if len(mine) != 1 || mine[0] != "web-"+ComputeHash(d.GetDeployment().GetSpec().GetTemplate(), &one) {
		t.Fatalf("owned ReplicaSets %v, want one named with the collision count", mine)
	}
}

func TestAdoptsMatchingOrphanReplicaSet(t *testing.T) {
	w := newWorld(t)
	d := newDeployment("web", 2, "v1")
	tmpl := withHash(d.GetDeployment().GetSpec().GetTemplate(), "abc")
	orphan := apimeta.Wrap(&gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{Name: "web-abc", Namespace: "default", Labels: tmpl.GetMetadata().GetLabels()},
		Spec: &gantryv1.ReplicaSetSpec{Replicas: int32p(2), Selector: selectorWithHash(d.GetDeployment().GetSpec().GetSelector(), "abc"),
			Template: tmpl},
	})
	w.w.Seed(d, orphan)
	w.deploy("default/web")
	rs := w.rsList()
	if len(rs) != 1 || !strings.HasSuffix(rs[0].GetMetadata().GetName(), "-abc") || ctrl.ControllerRef(rs[0].GetMetadata()) == nil {
		t.Fatalf("ReplicaSets %s; want the orphan adopted and reused", rsSummary(rs))
	}
}

func TestFenceposts(t *testing.T) {
	for _, tc := range []struct {
		surge, unavailable string
		replicas           int32
		wantS, wantU       int32
	}{
		{"25%", "25%", 10, 3, 2},
		{"25%", "25%", 1, 1, 0},
		{"0", "0", 5, 0, 1},
		{"0%", "0%", 5, 0, 1},
		{"", "", 3, 0, 1},
		{"100%", "100%", 3, 3, 3},
		{"1", "10%", 9, 1, 0},
		{"33%", "33%", 10, 4, 3},
	} {
		s, u, err := ResolveFenceposts(tc.surge, tc.unavailable, tc.replicas)
		if err != nil || s != tc.wantS || u != tc.wantU {
			t.Errorf("ResolveFenceposts(%q, %q, %d) = %d, %d, %v; want %d, %d", tc.surge, tc.unavailable, tc.replicas, s, u, err, tc.wantS, tc.wantU)
		}
	}
	if _, _, err := ResolveFenceposts("x%", "1", 3); err == nil {
		t.Error("a bad percentage was accepted")
	}
}

func TestComputeHash(t *testing.T) {
	a := newDeployment("web", 1, "v1").GetDeployment().GetSpec().GetTemplate()
	b := newDeployment("web", 1, "v2").GetDeployment().GetSpec().GetTemplate()
	one := int32(1)
	ha, hb, ha1 := ComputeHash(a, nil), ComputeHash(b, nil), ComputeHash(a, &one)
	if ha != ComputeHash(a, nil) || ha == hb || ha == ha1 {
		t.Fatalf("hashes %s %s %s: want stable and distinct", ha, hb, ha1)
	}
	for _, r := range ha {
		if strings.ContainsRune("aeiou013", r) {
			t.Fatalf("hash %q has unsafe character %q", ha, r)
		}
	}
	if !deployutil.EqualIgnoreHash(withHash(a, ha), a) || deployutil.EqualIgnoreHash(a, b) {
		t.Fatal("EqualIgnoreHash")
	}
}
