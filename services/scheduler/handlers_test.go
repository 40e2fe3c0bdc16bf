package scheduler

import (
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/scheduler/framework"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestNodeChanges(t *testing.T) {
	base := &gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: "n", Labels: map[string]string{"zone": "a"}},
		Spec:     &gantryv1.NodeSpec{Taints: []*gantryv1.Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}}},
		Status: &gantryv1.NodeStatus{
			Allocatable: map[string]string{"cpu": "2"},
			Conditions:  []*gantryv1.Condition{{Type: "Ready", Status: "True", LastHeartbeatTime: timestamppb.New(time.Unix(1, 0))}},
		},
	}
	cases := []struct {
		name string
		edit func(n *gantryv1.Node)
		want framework.PluginSet
	}{
		{"heartbeat only", func(n *gantryv1.Node) { n.Status.Conditions[0].LastHeartbeatTime = timestamppb.Now() }, 0},
		{"cordoned", func(n *gantryv1.Node) { n.Spec.Unschedulable = true }, framework.NodeUnschedulableBit},
		{"not ready", func(n *gantryv1.Node) { n.Status.Conditions[0].Status = "Unknown" }, framework.NodeReadyBit},
		{"taint removed", func(n *gantryv1.Node) { n.Spec.Taints = nil }, framework.TaintTolerationBit},
		{"taint time only", func(n *gantryv1.Node) { n.Spec.Taints[0].TimeAdded = timestamppb.Now() }, 0},
		{"labels", func(n *gantryv1.Node) { n.Metadata.Labels["disk"] = "ssd" }, framework.NodeSelectorBit},
		{"allocatable", func(n *gantryv1.Node) { n.Status.Allocatable["cpu"] = "4" }, framework.NodeResourcesFitBit},
		{"two at once", func(n *gantryv1.Node) {
			n.Spec.Unschedulable = true
			n.Status.Allocatable["memory"] = "1Gi"
		}, framework.NodeUnschedulableBit | framework.NodeResourcesFitBit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := proto.Clone(base).(*gantryv1.Node)
			tc.edit(n)
			if got := nodeChanges(base, n); got != tc.want {
				t.Fatalf("nodeChanges = %b, want %b", got, tc.want)
			}
		})
	}
}

func TestWithUnschedulable(t *testing.T) {
	t0, t1 := timestamppb.New(time.Unix(100, 0)), timestamppb.New(time.Unix(200, 0))
	pod := &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: "ns", Name: "p", Uid: "u", ResourceVersion: "42", Labels: map[string]string{"a": "b"}},
		Spec:     &gantryv1.PodSpec{SchedulerName: "default-scheduler"},
		Status: &gantryv1.PodStatus{Message: "m", Conditions: []*gantryv1.Condition{
			{Type: "Other", Status: "True"},
			{Type: "PodScheduled", Status: "False", Reason: "Unschedulable", Message: "old", LastTransitionTime: t0},
		}},
	}
	orig := proto.Clone(pod)
	out := withUnschedulable(pod, "new", t1).GetPod()
	if !proto.Equal(pod, orig) {
		t.Fatal("the informer's pod was modified")
	}
	m := out.GetMetadata()
	if m.GetUid() != "u" || m.GetResourceVersion() != "42" || m.GetName() != "p" || m.GetNamespace() != "ns" || out.GetSpec() != nil {
		t.Fatalf("write carries %v / spec %v; want name, namespace, uid and resource_version only", m, out.GetSpec())
	}
	st := out.GetStatus()
	if st.GetMessage() != "m" || st.GetPhase() != "Pending" || len(st.GetConditions()) != 2 || st.GetConditions()[0].GetType() != "Other" {
		t.Fatalf("status %v: other fields not kept", st)
	}
	c := st.GetConditions()[1]
	if c.GetMessage() != "new" || c.GetReason() != "Unschedulable" || c.GetStatus() != "False" || !proto.Equal(c.GetLastTransitionTime(), t0) {
		t.Fatalf("condition %v; want the new message and the old transition time", c)
	}
	fresh := withUnschedulable(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "q"}}, "why", t1).GetPod().GetStatus()
	if len(fresh.GetConditions()) != 1 || !proto.Equal(fresh.GetConditions()[0].GetLastTransitionTime(), t1) {
		t.Fatalf("fresh status %v", fresh)
	}
	if !hasUnschedulable(&gantryv1.Pod{Status: st}, "new") || hasUnschedulable(&gantryv1.Pod{Status: st}, "old") {
		t.Fatal("hasUnschedulable does not compare the message")
	}
}
