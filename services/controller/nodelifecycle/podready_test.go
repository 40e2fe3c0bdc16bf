package nodelifecycle

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/taints"
)

// addReadyPod seeds a Running, Ready pod bound to node.
func (f *fixture) addReadyPod(name, node, phase string) {
	f.w.Seed(apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name, Uid: "u-" + name},
		Spec: &gantryv1.PodSpec{NodeName: node, Tolerations: []*gantryv1.Toleration{tolerate(taints.Unreachable, seconds(300))}},
		Status: &gantryv1.PodStatus{Phase: phase, PodIp: "10.0.0.1", Conditions: []*gantryv1.Condition{
			{Type: "ContainersReady", Status: StatusTrue}, {Type: "Ready", Status: StatusTrue}}}}))
}

func (f *fixture) podReady(name string) *gantryv1.Condition {
	for _, c := range f.w.Object(apimeta.KindPod, "default", name).GetPod().GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c
		}
	}
	return nil
}

// TestLostNodesPodsMarkedNotReady: once a node is Unknown its running
// pods get Ready=False (reason NodeNotReady, the rest of their status
// kept), long before eviction; finished pods and other nodes' pods are
// left alone; a pod its agent reports Ready again is not marked again in
// the same spell, and the next spell marks it anew.
func TestLostNodesPodsMarkedNotReady(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.addReadyPod("a", "n1", "Running")
	f.addReadyPod("done", "n1", "Succeeded")
	f.addReadyPod("b", "n2", "Running")
	f.c.begin()
	f.step(grace)
	f.renew("n2", "n3")
	f.settle("n1", "n2", "n3")
	f.wantReady("n1", StatusUnknown)

	c := f.podReady("a")
	if c.GetStatus() != StatusFalse || c.GetReason() != taints.PodNotReadyReason {
		t.Fatalf("pod a on the lost node: Ready %v, want False/%s", c, taints.PodNotReadyReason)
	}
	if ip := f.w.Object(apimeta.KindPod, "default", "a").GetPod().GetStatus().GetPodIp(); ip != "10.0.0.1" {
		t.Fatalf("pod a's status lost its pod IP (%q): only Ready may change", ip)
	}
	if c := f.podReady("done"); c.GetStatus() != StatusTrue {
		t.Fatalf("finished pod marked: %v", c)
	}
	if c := f.podReady("b"); c.GetStatus() != StatusTrue {
		t.Fatalf("pod b on a healthy node marked: %v", c)
	}
	f.wantPods("a", "b", "done") // nothing evicted: they tolerate 300 s

	// The agent, alive after all, says Ready again: its word wins.
	f.setPodReady("a", StatusTrue)
	f.settle("n1")
	if c := f.podReady("a"); c.GetStatus() != StatusTrue {
		t.Fatalf("pod a marked again in the same spell: %v", c)
	}

	// The node comes back, then is lost again: a new spell.
	f.renew("n1", "n2", "n3")
	f.setReady("n1", StatusTrue)
	f.settle("n1")
	f.wantReady("n1", StatusTrue)
	f.step(grace)
	f.renew("n2", "n3")
	f.settle("n1")
	if c := f.podReady("a"); c.GetStatus() != StatusFalse {
		t.Fatalf("pod a in the node's second spell: Ready %v, want False", c)
	}
}

// TestNoMarkingWhileBraked: when every node looks lost the controller is
// more likely the one cut off; it leaves the pods' readiness alone.
func TestNoMarkingWhileBraked(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2")
	f.addReadyPod("a", "n1", "Running")
	f.c.begin()
	f.step(grace)
	f.settle("n1", "n2")
	f.wantReady("n1", StatusUnknown)
	if !f.c.Braked() {
		t.Fatal("not braked with every node down")
	}
	if c := f.podReady("a"); c.GetStatus() != StatusTrue {
		t.Fatalf("pod marked while braked: %v", c)
	}
}

func (f *fixture) setPodReady(name, status string) {
	f.w.Mutate(apimeta.KindPod, "default", name, func(o *gantryv1.Object) {
		for _, c := range o.GetPod().GetStatus().GetConditions() {
			if c.GetType() == "Ready" {
				c.Status, c.Reason = status, ""
			}
		}
	})
}
