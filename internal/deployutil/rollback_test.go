package deployutil

import (
	"errors"
	"strconv"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

const depUID = "dep-uid"

func template(image string) *gantryv1.PodTemplateSpec {
	return &gantryv1.PodTemplateSpec{
		Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: image}}},
	}
}

func deployment(image string) *gantryv1.Deployment {
	return &gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: "web", Namespace: "default", Uid: depUID, ResourceVersion: "42",
			Annotations: map[string]string{RevisionAnnotation: "2", "team": "a"}},
		Spec: &gantryv1.DeploymentSpec{Template: template(image)},
	}
}

// replicaSet is one revision of the Deployment, as the controller makes
// it: hash label on the template, revision annotation, controller ref.
func replicaSet(name string, revision int64, image, ownerUID string) *gantryv1.ReplicaSet {
	t := true
	tmpl := template(image)
	tmpl.Metadata.Labels[PodTemplateHashLabel] = name
	return &gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{Name: "web-" + name, Namespace: "default",
			Annotations: map[string]string{
				RevisionAnnotation: strconv.FormatInt(revision, 10), ChangeCauseAnnotation: "image " + image,
				DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4",
			},
			OwnerReferences: []*gantryv1.OwnerReference{{Kind: "Deployment", Name: "web", Uid: ownerUID, Controller: &t}}},
		Spec: &gantryv1.ReplicaSetSpec{Template: tmpl},
	}
}

func history() []*gantryv1.ReplicaSet {
	return []*gantryv1.ReplicaSet{
		replicaSet("b", 2, "v2", depUID),
		replicaSet("x", 9, "v9", "someone-else"),
		replicaSet("a", 1, "v1", depUID),
	}
}

func TestOwnedReplicaSetsSortsByRevisionAndDropsOthers(t *testing.T) {
	owned := OwnedReplicaSets(deployment("v2"), history())
	if len(owned) != 2 || Revision(owned[0].GetMetadata()) != 1 || Revision(owned[1].GetMetadata()) != 2 {
		t.Fatalf("owned = %v, want revisions [1 2]", owned)
	}
}

func TestRollbackTarget(t *testing.T) {
	d := deployment("v2")
	rs, err := RollbackTarget(d, history(), 0)
	if err != nil || Revision(rs.GetMetadata()) != 1 {
		t.Fatalf("RollbackTarget(0) = %v, %v; want revision 1", rs, err)
	}
	if _, err := RollbackTarget(d, history(), 9); !errors.Is(err, ErrRevisionNotFound) {
		t.Fatalf("revision 9 belongs to another Deployment, got %v", err)
	}
	if _, err := RollbackTarget(d, history()[:2], 0); !errors.Is(err, ErrNoHistory) {
		t.Fatalf("one revision only: %v, want ErrNoHistory", err)
	}
}

func TestRollbackToPreviousRevision(t *testing.T) {
	d := deployment("v2")
	if _, _, err := Rollback(d, history(), 7); !errors.Is(err, ErrRevisionNotFound) {
		t.Fatalf("Rollback to a missing revision: %v", err)
	}
	if _, rs, err := Rollback(d, history(), 2); !errors.Is(err, ErrSameTemplate) || Revision(rs.GetMetadata()) != 2 {
		t.Fatalf("Rollback to the current revision: %v (rs %v)", err, rs)
	}
	next, rs, err := Rollback(d, history(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rs.GetMetadata().GetName() != "web-a" {
		t.Fatalf("target %s, want web-a", rs.GetMetadata().GetName())
	}
	if img := next.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage(); img != "v1" {
		t.Fatalf("rolled-back image %q, want v1", img)
	}
	if _, ok := next.GetSpec().GetTemplate().GetMetadata().GetLabels()[PodTemplateHashLabel]; ok {
		t.Fatal("rolled-back template carries the hash label")
	}
	ann := next.GetMetadata().GetAnnotations()
	if ann[ChangeCauseAnnotation] != "image v1" || ann["team"] != "a" || ann[RevisionAnnotation] != "2" {
		t.Fatalf("annotations %v: want the change cause copied, the Deployment's own kept, the revision untouched", ann)
	}
	if _, ok := ann[DesiredReplicasAnnotation]; ok {
		t.Fatalf("annotations %v: the ReplicaSet's scaling annotations must not be copied", ann)
	}
	if next.GetMetadata().GetResourceVersion() != "42" {
		t.Fatal("the copy must keep the resource_version it was read at")
	}
	if d.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage() != "v2" || d.GetMetadata().GetAnnotations()[ChangeCauseAnnotation] != "" {
		t.Fatal("Rollback modified its input")
	}
	d.Spec.Paused = true
	if _, _, err := Rollback(d, history(), 0); !errors.Is(err, ErrPaused) {
		t.Fatalf("Rollback of a paused Deployment: %v", err)
	}
}

func TestEqualIgnoreHash(t *testing.T) {
	a, b := template("v1"), template("v1")
	b.Metadata.Labels[PodTemplateHashLabel] = "abc"
	if !EqualIgnoreHash(a, b) {
		t.Fatal("templates differing only in the hash label are equal")
	}
	if EqualIgnoreHash(a, template("v2")) {
		t.Fatal("templates with other images are not equal")
	}
	if b.GetMetadata().GetLabels()[PodTemplateHashLabel] != "abc" {
		t.Fatal("EqualIgnoreHash modified its input")
	}
	if WithoutHash(nil) != nil {
		t.Fatal("WithoutHash(nil) != nil")
	}
}

func TestRevisionAndCondition(t *testing.T) {
	for v, want := range map[string]int64{"3": 3, "": 0, "x": 0} {
		if got := Revision(&gantryv1.ObjectMeta{Annotations: map[string]string{RevisionAnnotation: v}}); got != want {
			t.Errorf("Revision(%q) = %d, want %d", v, got, want)
		}
	}
	conds := []*gantryv1.Condition{{Type: CondAvailable}, {Type: CondProgressing, Reason: ReasonNewRSAvailable}}
	if Condition(conds, CondProgressing).GetReason() != ReasonNewRSAvailable || Condition(conds, CondReplicaFailure) != nil {
		t.Fatal("Condition picked the wrong one")
	}
}
