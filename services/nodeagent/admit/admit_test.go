package admit

import (
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func pod(uid string, cpu, mem string, hostPort int32) *gantryv1.Pod {
	c := &gantryv1.Container{Name: "c", Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{}}}
	if cpu != "" {
		c.Resources.Requests["cpu"] = cpu
	}
	if mem != "" {
		c.Resources.Requests["memory"] = mem
	}
	if hostPort > 0 {
		c.Ports = []*gantryv1.ContainerPort{{ContainerPort: 80, HostPort: hostPort, Protocol: "TCP"}}
	}
	return &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Uid: uid, Name: uid}, Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{c}}}
}

func TestAdmission(t *testing.T) {
	node := Node{Labels: map[string]string{"disk": "ssd"}, Allocatable: map[string]string{"cpu": "2", "memory": "1Gi", "pods": "3"}}
	a := New(func() Node { return node })
	if r := a.Admit(pod("a", "1500m", "512Mi", 8080)); !r.Admit {
		t.Fatalf("a refused: %+v", r)
	}
	r := a.Admit(pod("b", "600m", "", 0))
	if r.Admit || r.Reason != "OutOfcpu" || !strings.Contains(r.Message, "requested: 600, used: 1500, capacity: 2000") {
		t.Fatalf("b = %+v, want OutOfcpu with kubelet's message", r)
	}
	if r := a.Admit(pod("c", "", "600Mi", 0)); r.Admit || r.Reason != "OutOfmemory" {
		t.Fatalf("c = %+v, want OutOfmemory", r)
	}
	if r := a.Admit(pod("d", "", "", 8080)); r.Admit || r.Reason != "NodePorts" {
		t.Fatalf("d = %+v, want NodePorts", r)
	}
	lim := pod("e", "", "", 0)
	lim.Spec.Containers[0].Resources.Limits = map[string]string{"cpu": "1"}
	if r := a.Admit(lim); r.Admit || r.Reason != "OutOfcpu" {
		t.Fatalf("a limit without a request counts as the request: %+v", r)
	}
	sel := pod("f", "", "", 0)
	sel.Spec.NodeSelector = map[string]string{"disk": "hdd"}
	if r := a.Admit(sel); r.Admit || r.Reason != "NodeAffinity" {
		t.Fatalf("f = %+v, want NodeAffinity", r)
	}
	if r := a.Admit(pod("g", "500m", "", 0)); !r.Admit {
		t.Fatalf("g refused: %+v", r)
	}
	a.Force(pod("h", "5", "", 0)) // already running: counted, never refused
	if r := a.Admit(pod("i", "", "", 0)); r.Admit || r.Reason != "OutOfpods" {
		t.Fatalf("i = %+v, want OutOfpods (3 admitted of 3)", r)
	}
	a.Release("h")
	a.Release("a")
	if r := a.Admit(pod("d", "", "", 8080)); !r.Admit {
		t.Fatalf("after release, d = %+v", r)
	}
	if r := a.Admit(pod("d", "", "", 8080)); !r.Admit || a.Count() != 2 {
		t.Fatalf("admitting twice must be idempotent: %+v count %d", r, a.Count())
	}
}
