package describe

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// now is the fixed instant (and time zone) every golden describe uses.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(now.Add(-d)) }

func ptr[T any](v T) *T { return &v }

func meta(ns, name string, age time.Duration) *gantryv1.ObjectMeta {
	return &gantryv1.ObjectMeta{Namespace: ns, Name: name, Uid: "uid-" + name, CreationTimestamp: ago(age)}
}

func controllerRef(kind, name string) []*gantryv1.OwnerReference {
	api := "apps/v1"
	return []*gantryv1.OwnerReference{{ApiVersion: api, Kind: kind, Name: name, Uid: "uid-" + name, Controller: ptr(true)}}
}

func webContainer() *gantryv1.Container {
	return &gantryv1.Container{
		Name: "app", Image: "registry.local/web:1.4",
		Command: []string{"/bin/web"}, Args: []string{"--listen=:8080", "--greeting=hello\nworld"},
		Ports: []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: "TCP"}},
		Env: []*gantryv1.EnvVar{
			{Name: "MODE", Value: "production"},
			{Name: "POD_NAME", ValueFrom: &gantryv1.EnvVarSource{FieldRef: &gantryv1.ObjectFieldSelector{ApiVersion: "v1", FieldPath: "metadata.name"}}},
			{Name: "DB_PASSWORD", ValueFrom: &gantryv1.EnvVarSource{SecretKeyRef: &gantryv1.SecretKeySelector{Name: "db", Key: "password"}}},
			{Name: "THEME", ValueFrom: &gantryv1.EnvVarSource{ConfigMapKeyRef: &gantryv1.ConfigMapKeySelector{Name: "settings", Key: "theme", Optional: ptr(true)}}},
		},
		Resources: &gantryv1.ResourceRequirements{
			Requests: map[string]string{"cpu": "250m", "memory": "64Mi"},
			Limits:   map[string]string{"cpu": "500m", "memory": "128Mi"},
		},
		LivenessProbe:  &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: "/healthz", Port: "8080"}, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
		ReadinessProbe: &gantryv1.Probe{TcpSocket: &gantryv1.TCPSocketAction{Port: "8080"}, InitialDelaySeconds: 2, TimeoutSeconds: 1, PeriodSeconds: 5, SuccessThreshold: 1, FailureThreshold: 3},
		StartupProbe:   &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: []string{"cat", "/tmp/ready"}}, TimeoutSeconds: 1, PeriodSeconds: 1, SuccessThreshold: 1, FailureThreshold: 30},
	}
}

func runningPod() *gantryv1.Object {
	m := meta("default", "web-7d4b9c-x2x9q", 26*time.Hour)
	m.Labels = map[string]string{"app": "web", "pod-template-hash": "7d4b9c"}
	m.Annotations = map[string]string{"gantry.io/note": "100% fine", "long": longValue()}
	m.OwnerReferences = controllerRef("ReplicaSet", "web-7d4b9c")
	sidecar := &gantryv1.Container{Name: "sidecar", Image: "registry.local/proxy:2"}
	return &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: &gantryv1.Pod{
		Metadata: m,
		Spec: &gantryv1.PodSpec{
			Containers: []*gantryv1.Container{webContainer(), sidecar}, NodeName: "node-a",
			NodeSelector: map[string]string{"disk": "ssd"},
			Tolerations: []*gantryv1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: "Exists", Effect: "NoExecute", TolerationSeconds: ptr[int64](300)},
				{Key: "dedicated", Operator: "Equal", Value: "web", Effect: "NoSchedule"},
				{Operator: "Exists"},
			},
		},
		Status: &gantryv1.PodStatus{
			Phase: "Running", HostIp: "127.0.0.11", PodIp: "10.42.0.7", PodIps: []*gantryv1.PodIP{{Ip: "10.42.0.7"}},
			StartTime: ago(26 * time.Hour),
			ContainerStatuses: []*gantryv1.ContainerStatus{
				{Name: "app", Ready: true, RestartCount: 2, ContainerId: "process://c-1", Image: "registry.local/web:1.4",
					State: &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{StartedAt: ago(time.Hour)}},
					LastState: &gantryv1.ContainerState{Terminated: &gantryv1.ContainerStateTerminated{ExitCode: 137, Signal: 9, Reason: "Error",
						Message: "killed\tby the OOM killer", StartedAt: ago(2 * time.Hour), FinishedAt: ago(time.Hour)}}},
				{Name: "sidecar", RestartCount: 0, ContainerId: "process://c-2",
					State: &gantryv1.ContainerState{Waiting: &gantryv1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}}},
			},
			Conditions: []*gantryv1.Condition{
				{Type: "PodScheduled", Status: "True"}, {Type: "Initialized", Status: "True"},
				{Type: "ContainersReady", Status: "False"}, {Type: "Ready", Status: "False"},
			},
		},
	}}}
}

func longValue() string {
	s := ""
	for range 20 {
		s += "0123456789"
	}
	return s
}

func pendingPod() *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: &gantryv1.Pod{
		Metadata: meta("default", "big-0", 90*time.Second),
		Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "app", Image: "registry.local/big:1",
			Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": "8"}}}}},
		Status: &gantryv1.PodStatus{Phase: "Pending", Conditions: []*gantryv1.Condition{{Type: "PodScheduled", Status: "False",
			Reason: "Unschedulable", Message: "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}."}}},
	}}}
}

func explain() *gantryv1.ExplainResponse {
	return &gantryv1.ExplainResponse{
		Summary: "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}.",
		Nodes: []*gantryv1.NodeVerdict{
			{Node: "node-a", Filter: "NodeResourcesFit", Reason: "Insufficient cpu"},
			{Node: "node-b", Filter: "NodeResourcesFit", Reason: "Insufficient cpu"},
			{Node: "node-gpu-1", Filter: "TaintToleration", Reason: "node(s) had untolerated taint {dedicated: gpu}"},
		},
	}
}

func terminatingPod() *gantryv1.Object {
	o := &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: &gantryv1.Pod{
		Metadata: meta("default", "old-0", time.Hour),
		Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "app", Image: "registry.local/old:1"}}, NodeName: "node-b"},
		Status: &gantryv1.PodStatus{Phase: "Running", HostIp: "127.0.0.12",
			ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "app", State: &gantryv1.ContainerState{Terminated: &gantryv1.ContainerStateTerminated{
				Reason: "Completed", StartedAt: ago(time.Hour), FinishedAt: ago(5 * time.Second)}}}}},
	}}}
	o.GetPod().Metadata.DeletionTimestamp = ago(20 * time.Second)
	o.GetPod().Metadata.DeletionGracePeriodSeconds = ptr[int64](30)
	return o
}

func event(typ, reason, msg, from string, first, last time.Duration, count int32) *gantryv1.Event {
	return &gantryv1.Event{Metadata: meta("default", "ev-"+reason, first), Type: typ, Reason: reason, Message: msg,
		Source: &gantryv1.EventSource{Component: from}, FirstTimestamp: ago(first), LastTimestamp: ago(last), Count: count}
}

func template(hash string) *gantryv1.PodTemplateSpec {
	labels := map[string]string{"app": "web"}
	if hash != "" {
		labels["pod-template-hash"] = hash
	}
	c := webContainer()
	c.Env = nil
	c.StartupProbe = nil
	return &gantryv1.PodTemplateSpec{Metadata: &gantryv1.ObjectMeta{Labels: labels}, Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{c}}}
}

func deployment() *gantryv1.Object {
	m := meta("default", "web", 26*time.Hour)
	m.Labels = map[string]string{"app": "web"}
	m.Annotations = map[string]string{"deployment.kubernetes.io/revision": "2"}
	return &gantryv1.Object{Kind: &gantryv1.Object_Deployment{Deployment: &gantryv1.Deployment{
		Metadata: m,
		Spec: &gantryv1.DeploymentSpec{Replicas: ptr[int32](3), Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template(""), MinReadySeconds: 5,
			Strategy: &gantryv1.DeploymentStrategy{Type: "RollingUpdate", RollingUpdate: &gantryv1.RollingUpdateDeployment{MaxUnavailable: "0", MaxSurge: "1"}}},
		Status: &gantryv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 3, UnavailableReplicas: 1,
			Conditions: []*gantryv1.Condition{
				{Type: "Available", Status: "True", Reason: "MinimumReplicasAvailable"},
				{Type: "Progressing", Status: "True", Reason: "ReplicaSetUpdated"},
			}},
	}}}
}

func replicaSet(name, hash string, age time.Duration, want, have int32, tmpl *gantryv1.PodTemplateSpec) *gantryv1.Object {
	m := meta("default", name, age)
	m.Labels = map[string]string{"app": "web", "pod-template-hash": hash}
	m.Annotations = map[string]string{"deployment.kubernetes.io/revision": "1"}
	m.OwnerReferences = controllerRef("Deployment", "web")
	return &gantryv1.Object{Kind: &gantryv1.Object_ReplicaSet{ReplicaSet: &gantryv1.ReplicaSet{
		Metadata: m,
		Spec: &gantryv1.ReplicaSetSpec{Replicas: ptr(want), Template: tmpl,
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": hash}}},
		Status: &gantryv1.ReplicaSetStatus{Replicas: have, ReadyReplicas: have},
	}}}
}

// ownedReplicaSets are the new one (same template but its hash label), an
// old one still scaled up, and an old one scaled to zero (not shown).
func ownedReplicaSets() []*gantryv1.Object {
	oldTmpl := template("55f8d6")
	oldTmpl.Spec.Containers[0].Image = "registry.local/web:1.3"
	older := template("4b7c9d")
	older.Spec.Containers[0].Image = "registry.local/web:1.2"
	return []*gantryv1.Object{
		replicaSet("web-55f8d6", "55f8d6", 26*time.Hour, 2, 2, oldTmpl),
		replicaSet("web-7d4b9c", "7d4b9c", 2*time.Minute, 2, 2, template("7d4b9c")),
		replicaSet("web-4b7c9d", "4b7c9d", 40*24*time.Hour, 0, 0, older),
	}
}

func simplePod(name, node, phase, cpu, mem string) *gantryv1.Object {
	res := &gantryv1.ResourceRequirements{Limits: map[string]string{}, Requests: map[string]string{}}
	if cpu != "" {
		res.Requests["cpu"] = cpu
	}
	if mem != "" {
		res.Limits["memory"] = mem
	}
	return &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: &gantryv1.Pod{
		Metadata: meta("default", name, 3*time.Hour),
		Spec:     &gantryv1.PodSpec{NodeName: node, Containers: []*gantryv1.Container{{Name: "c", Resources: res}}},
		Status:   &gantryv1.PodStatus{Phase: phase},
	}}}
}

func node() *gantryv1.Object {
	m := meta("", "node-a", 26*time.Hour)
	m.Labels = map[string]string{"kubernetes.io/hostname": "node-a", "node-role.kubernetes.io/worker": ""}
	return &gantryv1.Object{Kind: &gantryv1.Object_Node{Node: &gantryv1.Node{
		Metadata: m,
		Spec: &gantryv1.NodeSpec{Unschedulable: true, PodCidr: "10.42.0.0/24", PodCidrs: []string{"10.42.0.0/24"},
			Taints: []*gantryv1.Taint{
				{Key: "node.kubernetes.io/unschedulable", Effect: "NoSchedule", TimeAdded: ago(time.Minute)},
				{Key: "dedicated", Value: "gpu", Effect: "NoSchedule"},
				{Key: "node.kubernetes.io/not-ready", Effect: "NoExecute"},
			}},
		Status: &gantryv1.NodeStatus{
			Capacity:    map[string]string{"cpu": "4", "memory": "8Gi", "pods": "110"},
			Allocatable: map[string]string{"cpu": "3800m", "memory": "7Gi", "pods": "110"},
			Conditions: []*gantryv1.Condition{
				{Type: "NetworkUnavailable", Status: "False", Reason: "BridgeReady", Message: "bridge is up", LastHeartbeatTime: ago(10 * time.Second), LastTransitionTime: ago(26 * time.Hour)},
				{Type: "Ready", Status: "True", Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: ago(10 * time.Second), LastTransitionTime: ago(26 * time.Hour)},
			},
			Addresses: []*gantryv1.NodeAddress{{Type: "InternalIP", Address: "127.0.0.11"}, {Type: "Hostname", Address: "node-a"}},
			NodeInfo: &gantryv1.NodeSystemInfo{MachineId: "m-1", BootId: "b-1", KernelVersion: "6.1.0-18-amd64", OsImage: "Debian GNU/Linux 12 (bookworm)",
				ContainerRuntimeVersion: "process://0.4.0", KubeletVersion: "v0.4.0", OperatingSystem: "linux", Architecture: "amd64"},
		},
	}}}
}

func nodeLease() *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Lease{Lease: &gantryv1.Lease{
		Metadata: meta("gantry-node-lease", "node-a", 26*time.Hour),
		Spec:     &gantryv1.LeaseSpec{HolderIdentity: "node-a", LeaseDurationSeconds: 40, RenewTime: ago(3 * time.Second), AcquireTime: ago(26 * time.Hour)},
	}}}
}

func service(name string, spec *gantryv1.ServiceSpec) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Service{Service: &gantryv1.Service{Metadata: meta("default", name, 26*time.Hour), Spec: spec}}}
}

func endpointSlice(name string, ports []*gantryv1.EndpointPort, eps ...*gantryv1.Endpoint) *gantryv1.Object {
	m := meta("default", name, time.Hour)
	m.Labels = map[string]string{"kubernetes.io/service-name": "web"}
	m.OwnerReferences = []*gantryv1.OwnerReference{{ApiVersion: "v1", Kind: "Service", Name: "web", Controller: ptr(true)}}
	return &gantryv1.Object{Kind: &gantryv1.Object_EndpointSlice{EndpointSlice: &gantryv1.EndpointSlice{
		Metadata: m, AddressType: "IPv4", Ports: ports, Endpoints: eps}}}
}

func endpoint(ip string, ready *bool, pod string) *gantryv1.Endpoint {
	return &gantryv1.Endpoint{Addresses: []string{ip}, Conditions: &gantryv1.EndpointConditions{Ready: ready},
		TargetRef: &gantryv1.ObjectReference{Kind: "Pod", Namespace: "default", Name: pod}, NodeName: ptr("node-a")}
}

func recreateDeployment() *gantryv1.Object {
	o := deployment()
	d := o.GetDeployment()
	d.Spec.Strategy = &gantryv1.DeploymentStrategy{Type: "Recreate"}
	d.Spec.Replicas = nil
	d.Spec.Paused = true
	d.Status = nil
	d.Metadata.Annotations = nil
	return o
}

func bareNode() *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Node{Node: &gantryv1.Node{Metadata: meta("", "node-new", 5*time.Second)}}}
}

func configMap() *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_ConfigMap{ConfigMap: &gantryv1.ConfigMap{
		Metadata:   meta("default", "settings", time.Hour),
		Data:       map[string]string{"theme": "dark", "app.conf": "listen 8080\n\tworkers 4\n100% done"},
		BinaryData: map[string][]byte{"logo.png": {1, 2, 3}},
	}}}
}

func secret() *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Secret{Secret: &gantryv1.Secret{
		Metadata: meta("default", "db", time.Hour), Type: "Opaque",
		Data: map[string][]byte{"password": []byte("hunter2"), "user": []byte("admin")},
	}}}
}

func namespace() *gantryv1.Object {
	m := meta("", "team-a", time.Hour)
	m.Labels = map[string]string{"kubernetes.io/metadata.name": "team-a"}
	return &gantryv1.Object{Kind: &gantryv1.Object_Namespace{Namespace: &gantryv1.Namespace{Metadata: m, Status: &gantryv1.NamespaceStatus{Phase: "Active"}}}}
}
