package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

func TestValidateStatus(t *testing.T) {
	pod := func(s *gantryv1.PodStatus) func() *gantryv1.Pod {
		return func() *gantryv1.Pod { p := validPod(); p.Status = s; return p }
	}
	cond := func(typ, status string) *gantryv1.Condition { return &gantryv1.Condition{Type: typ, Status: status} }
	node := func(s *gantryv1.NodeStatus) func() *gantryv1.Node {
		return func() *gantryv1.Node { n := validNode(); n.Status = s; return n }
	}
	running := &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{}}
	cases := []wantCase{
		mk("pod running", pod(&gantryv1.PodStatus{Phase: "Running", PodIp: "10.1.0.5", HostIp: "192.168.1.10",
			PodIps:     []*gantryv1.PodIP{{Ip: "10.1.0.5"}},
			Conditions: []*gantryv1.Condition{cond("Ready", "True"), cond("PodScheduled", "True")},
			ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "web", State: running,
				LastState: &gantryv1.ContainerState{Terminated: &gantryv1.ContainerStateTerminated{ExitCode: 1}}}}}), nil, "", ""),
		mk("pod no status", pod(nil), nil, "", ""),
		mk("pod bad phase", pod(&gantryv1.PodStatus{Phase: "Sleeping"}), nil, "status.phase", `Unsupported value: "Sleeping"`),
		mk("pod bad condition status", pod(&gantryv1.PodStatus{Conditions: []*gantryv1.Condition{cond("Ready", "Yes")}}), nil,
			"status.conditions[0].status", `Unsupported value: "Yes"`),
		mk("pod condition without status", pod(&gantryv1.PodStatus{Conditions: []*gantryv1.Condition{cond("Ready", "")}}), nil,
			"status.conditions[0].status", "Required value"),
		mk("pod condition without type", pod(&gantryv1.PodStatus{Conditions: []*gantryv1.Condition{cond("", "True")}}), nil,
			"status.conditions[0].type", "Required value"),
		mk("pod duplicate condition", pod(&gantryv1.PodStatus{Conditions: []*gantryv1.Condition{cond("Ready", "True"), cond("Ready", "False")}}), nil,
			"status.conditions[1].type", "Duplicate value"),
		mk("pod bad podIP", pod(&gantryv1.PodStatus{PodIp: "nope"}), nil, "status.podIP", "must be a valid IP address"),
		mk("pod bad podIPs", pod(&gantryv1.PodStatus{PodIps: []*gantryv1.PodIP{{Ip: "1.2.3.4.5"}}}), nil,
			"status.podIPs[0].ip", "must be a valid IP address"),
		mk("pod negative restarts", pod(&gantryv1.PodStatus{ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "web", RestartCount: -1}}}), nil,
			"status.containerStatuses[0].restartCount", "must be greater than or equal to 0"),
		mk("pod container status without name", pod(&gantryv1.PodStatus{ContainerStatuses: []*gantryv1.ContainerStatus{{}}}), nil,
			"status.containerStatuses[0].name", "Required value"),
		mk("pod two states", pod(&gantryv1.PodStatus{ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "web",
			State: &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{}, Waiting: &gantryv1.ContainerStateWaiting{}}}}}), nil,
			"status.containerStatuses[0].state", "may not specify more than 1 state type"),
		mk("node ready", node(&gantryv1.NodeStatus{Conditions: []*gantryv1.Condition{cond("Ready", "Unknown")},
			Capacity:  map[string]string{"cpu": "4", "memory": "8Gi", "pods": "110"},
			Addresses: []*gantryv1.NodeAddress{{Type: "InternalIP", Address: "192.168.1.10"}}}), nil, "", ""),
		mk("node bad capacity", node(&gantryv1.NodeStatus{Capacity: map[string]string{"cpu": "four"}}), nil,
			"status.capacity[cpu]", "quantities must match"),
		mk("node negative allocatable", node(&gantryv1.NodeStatus{Allocatable: map[string]string{"memory": "-1"}}), nil,
			"status.allocatable[memory]", "must be greater than or equal to 0"),
		mk("node bad address type", node(&gantryv1.NodeStatus{Addresses: []*gantryv1.NodeAddress{{Type: "Public", Address: "x"}}}), nil,
			"status.addresses[0].type", "Unsupported value"),
		mk("node address missing", node(&gantryv1.NodeStatus{Addresses: []*gantryv1.NodeAddress{{Type: "Hostname"}}}), nil,
			"status.addresses[0].address", "Required value"),
		mk("namespace terminating", func() *gantryv1.Namespace {
			return &gantryv1.Namespace{Status: &gantryv1.NamespaceStatus{Phase: "Terminating"}}
		}, nil, "", ""),
		mk("namespace bad phase", func() *gantryv1.Namespace {
			return &gantryv1.Namespace{Status: &gantryv1.NamespaceStatus{Phase: "Gone"}}
		}, nil, "status.phase", "Unsupported value"),
		mk("deployment counts", func() *gantryv1.Deployment {
			d := validDeployment()
			d.Status = &gantryv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 3, CollisionCount: proto.Int32(1),
				Conditions: []*gantryv1.Condition{cond("Available", "True")}}
			return d
		}, nil, "", ""),
		mk("deployment negative", func() *gantryv1.Deployment {
			d := validDeployment()
			d.Status = &gantryv1.DeploymentStatus{UnavailableReplicas: -1}
			return d
		}, nil, "status.unavailableReplicas", "must be greater than or equal to 0"),
		mk("replicaset negative", func() *gantryv1.ReplicaSet {
			r := validReplicaSet()
			r.Status = &gantryv1.ReplicaSetStatus{ReadyReplicas: -1}
			return r
		}, nil, "status.readyReplicas", "must be greater than or equal to 0"),
		mk("service bad condition", func() *gantryv1.Service {
			s := validService()
			s.Status = &gantryv1.ServiceStatus{Conditions: []*gantryv1.Condition{cond("X", "maybe")}}
			return s
		}, nil, "status.conditions[0].status", "Unsupported value"),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkErr(t, ValidateStatus(c.obj), ErrInvalid, c)
		})
	}
	// Kinds without status always pass.
	if err := ValidateStatus(apimeta.Wrap(&gantryv1.ConfigMap{})); err != nil {
		t.Fatalf("ConfigMap status: %v", err)
	}
}
