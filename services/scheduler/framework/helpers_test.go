package framework

import (
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// node builds a ready node with allocatable cpu, memory and pods.
func node(name, cpu, mem, pods string, edit ...func(*gantryv1.Node)) *NodeInfo {
	n := &gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: name},
		Spec:     &gantryv1.NodeSpec{},
		Status: &gantryv1.NodeStatus{
			Allocatable: map[string]string{"cpu": cpu, "memory": mem, "pods": pods},
			Conditions:  []*gantryv1.Condition{{Type: "Ready", Status: "True"}},
		},
	}
	for _, e := range edit {
		e(n)
	}
	ni := NewNodeInfo(name)
	ni.SetNode(n)
	return ni
}

// pod builds a pod with one container requesting cpu and memory ("" to
// request nothing).
func pod(name, cpu, mem string, edit ...func(*gantryv1.Pod)) *gantryv1.Pod {
	req := map[string]string{}
	if cpu != "" {
		req["cpu"] = cpu
	}
	if mem != "" {
		req["memory"] = mem
	}
	p := &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name, Uid: "uid-" + name},
		Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{
			Name: "c", Resources: &gantryv1.ResourceRequirements{Requests: req},
		}}},
	}
	for _, e := range edit {
		e(p)
	}
	return p
}

func podInfo(name, cpu, mem string, edit ...func(*gantryv1.Pod)) *PodInfo {
	return NewPodInfo(pod(name, cpu, mem, edit...))
}

func ownedBy(uid string) func(*gantryv1.Pod) {
	yes := true
	return func(p *gantryv1.Pod) {
		p.Metadata.OwnerReferences = []*gantryv1.OwnerReference{{Kind: "ReplicaSet", Name: "rs", Uid: uid, Controller: &yes}}
	}
}

func hostPort(port int32, ip, proto string) func(*gantryv1.Pod) {
	return func(p *gantryv1.Pod) {
		c := p.Spec.Containers[0]
		c.Ports = append(c.Ports, &gantryv1.ContainerPort{ContainerPort: 8080, HostPort: port, HostIp: ip, Protocol: proto})
	}
}

func tolerate(key, op, value, effect string) func(*gantryv1.Pod) {
	return func(p *gantryv1.Pod) {
		p.Spec.Tolerations = append(p.Spec.Tolerations, &gantryv1.Toleration{Key: key, Operator: op, Value: value, Effect: effect})
	}
}

func taint(key, value, effect string) func(*gantryv1.Node) {
	return func(n *gantryv1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, &gantryv1.Taint{Key: key, Value: value, Effect: effect})
	}
}

func cluster(n int, cpu, mem, pods string) []*NodeInfo {
	out := make([]*NodeInfo, n)
	for i := range out {
		out[i] = node(fmt.Sprintf("n%04d", i), cpu, mem, pods)
	}
	return out
}
