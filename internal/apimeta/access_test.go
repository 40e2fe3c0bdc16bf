package apimeta

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestKindsCoverEnvelope(t *testing.T) {
	if got := len(Kinds()); got != 13 {
		t.Fatalf("Kinds() = %d kinds, want 13", got)
	}
	for _, k := range Kinds() {
		info, ok := Lookup(k)
		if !ok || info.Name != k {
			t.Fatalf("Lookup(%q) = %v, %v", k, info, ok)
		}
	}
	if _, ok := Lookup("Widget"); ok {
		t.Fatal("Lookup(Widget) succeeded")
	}
}

func TestWrapMetaKind(t *testing.T) {
	pod := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "a", Namespace: "default"}}
	o := Wrap(pod)
	if KindOf(o) != KindPod || Meta(o).GetName() != "a" || Inner(o) != pod {
		t.Fatalf("wrap/unwrap lost the pod: kind=%q meta=%v", KindOf(o), Meta(o))
	}
	if KindOf(&gantryv1.Object{}) != "" || Meta(&gantryv1.Object{}) != nil {
		t.Fatal("empty envelope has a kind or metadata")
	}
	if Wrap(&gantryv1.ObjectMeta{}) != nil {
		t.Fatal("Wrap accepted a non-kind message")
	}
	cm := Wrap(&gantryv1.ConfigMap{})
	EnsureMeta(cm).Name = "x"
	if Meta(cm).GetName() != "x" {
		t.Fatal("EnsureMeta did not create metadata in place")
	}
}

func TestBodyEqual(t *testing.T) {
	one := int32(1)
	two := int32(2)
	a := Wrap(&gantryv1.Deployment{Metadata: &gantryv1.ObjectMeta{Name: "a"}, Spec: &gantryv1.DeploymentSpec{Replicas: &one}})
	b := Wrap(&gantryv1.Deployment{Metadata: &gantryv1.ObjectMeta{Name: "b"}, Spec: &gantryv1.DeploymentSpec{Replicas: &one},
		Status: &gantryv1.DeploymentStatus{Replicas: 4}})
	if !BodyEqual(a, b) {
		t.Fatal("specs equal but BodyEqual false (metadata/status must not count)")
	}
	c := Wrap(&gantryv1.Deployment{Spec: &gantryv1.DeploymentSpec{Replicas: &two}})
	if BodyEqual(a, c) {
		t.Fatal("different replicas but BodyEqual true")
	}
	x := Wrap(&gantryv1.ConfigMap{Data: map[string]string{"k": "v"}})
	y := Wrap(&gantryv1.ConfigMap{Data: map[string]string{"k": "w"}})
	if BodyEqual(x, y) {
		t.Fatal("configmap data differs but BodyEqual true")
	}
}

func TestSetBodyAndStatus(t *testing.T) {
	dst := Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "keep"}, Status: &gantryv1.PodStatus{Phase: "Running"}})
	src := Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "other"},
		Spec: &gantryv1.PodSpec{NodeName: "n1"}, Status: &gantryv1.PodStatus{Phase: "Failed"}})
	SetBody(dst, src)
	if dst.GetPod().GetSpec().GetNodeName() != "n1" || dst.GetPod().GetMetadata().GetName() != "keep" ||
		dst.GetPod().GetStatus().GetPhase() != "Running" {
		t.Fatalf("SetBody changed the wrong fields: %v", dst)
	}
	SetStatus(dst, src)
	if dst.GetPod().GetStatus().GetPhase() != "Failed" {
		t.Fatal("SetStatus did not copy status")
	}
}
