package printer

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// now is the fixed instant every golden table is printed at.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(now.Add(-d)) }

func meta(ns, name string, age time.Duration) *gantryv1.ObjectMeta {
	return &gantryv1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: ago(age)}
}

func running(d time.Duration) *gantryv1.ContainerState {
	return &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{StartedAt: ago(d)}}
}

func waiting(reason string) *gantryv1.ContainerState {
	return &gantryv1.ContainerState{Waiting: &gantryv1.ContainerStateWaiting{Reason: reason}}
}

func terminated(reason string, code int32, finished time.Duration) *gantryv1.ContainerState {
	return &gantryv1.ContainerState{Terminated: &gantryv1.ContainerStateTerminated{Reason: reason, ExitCode: code,
		StartedAt: ago(finished + time.Minute), FinishedAt: ago(finished)}}
}

func containers(names ...string) []*gantryv1.Container {
	var out []*gantryv1.Container
	for _, n := range names {
		out = append(out, &gantryv1.Container{Name: n, Image: "registry.local/" + n + ":1.0"})
	}
	return out
}

func pod(name string, age time.Duration, phase, node, ip string, cs ...*gantryv1.ContainerStatus) *gantryv1.Object {
	var names []string
	for _, c := range cs {
		names = append(names, c.GetName())
	}
	if len(names) == 0 {
		names = []string{"app"}
	}
	p := &gantryv1.Pod{
		Metadata: meta("default", name, age),
		Spec:     &gantryv1.PodSpec{Containers: containers(names...), NodeName: node},
		Status:   &gantryv1.PodStatus{Phase: phase, PodIp: ip, ContainerStatuses: cs},
	}
	if ip != "" {
		p.Status.PodIps = []*gantryv1.PodIP{{Ip: ip}}
	}
	return &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: p}}
}

func cstatus(name string, ready bool, restarts int32, state, last *gantryv1.ContainerState) *gantryv1.ContainerStatus {
	return &gantryv1.ContainerStatus{Name: name, Ready: ready, RestartCount: restarts, State: state, LastState: last}
}

// pods covers the STATUS column's cases.
func pods() []*gantryv1.Object {
	terminating := pod("web-7d4b9c-term1", 3*time.Hour, "Running", "node-a", "10.42.0.9",
		cstatus("app", true, 0, running(3*time.Hour), nil))
	terminating.GetPod().Metadata.DeletionTimestamp = ago(10 * time.Second)
	pending := pod("big-0", 90*time.Second, "Pending", "", "")
	pending.GetPod().Status.Conditions = []*gantryv1.Condition{{Type: "PodScheduled", Status: "False", Reason: "Unschedulable"}}
	pending.GetPod().Status.NominatedNodeName = "node-b"
	fresh := pod("fresh-0", 2*time.Second, "", "", "")
	fresh.GetPod().Status = nil
	return []*gantryv1.Object{
		pod("web-7d4b9c-x2x9q", 26*time.Hour, "Running", "node-a", "10.42.0.7",
			cstatus("app", true, 0, running(26*time.Hour), nil),
			cstatus("sidecar", true, 0, running(26*time.Hour), nil)),
		pod("crashy-5f6d-abcde", 47*time.Minute, "Running", "node-b", "10.42.1.4",
			cstatus("app", false, 3, waiting("CrashLoopBackOff"), terminated("Error", 1, 5*time.Minute))),
		terminating,
		pending,
		pod("init-0", 4*time.Second, "Pending", "node-a", "",
			cstatus("app", false, 0, waiting("ContainerCreating"), nil)),
		pod("job-x7k2p", 8*24*time.Hour, "Succeeded", "node-b", "10.42.1.5",
			cstatus("app", false, 0, terminated("Completed", 0, 8*24*time.Hour-time.Minute), nil)),
		pod("failed-0", 2*time.Hour, "Failed", "node-a", "10.42.0.11",
			cstatus("app", false, 0, terminated("Error", 2, time.Hour), nil)),
		pod("killed-0", 2*time.Hour, "Failed", "node-a", "10.42.0.12",
			cstatus("app", false, 0, &gantryv1.ContainerState{Terminated: &gantryv1.ContainerStateTerminated{Signal: 9}}, nil)),
		pod("unready-0", 5*time.Minute, "Running", "node-b", "10.42.1.6",
			cstatus("app", false, 0, running(5*time.Minute), nil)),
		fresh,
	}
}

func inNamespace(o *gantryv1.Object, ns string) *gantryv1.Object {
	c := proto.Clone(o).(*gantryv1.Object)
	c.GetPod().Metadata.Namespace = ns
	return c
}

func i32(v int32) *int32 { return &v }

func matchLabels(kv ...string) *gantryv1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &gantryv1.LabelSelector{MatchLabels: m}
}

func template(names ...string) *gantryv1.PodTemplateSpec {
	return &gantryv1.PodTemplateSpec{Spec: &gantryv1.PodSpec{Containers: containers(names...)}}
}

func deployments() []*gantryv1.Object {
	web := &gantryv1.Deployment{
		Metadata: meta("default", "web", 26*time.Hour),
		Spec:     &gantryv1.DeploymentSpec{Replicas: i32(3), Selector: matchLabels("app", "web"), Template: template("app", "sidecar")},
		Status:   &gantryv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3},
	}
	rolling := &gantryv1.Deployment{
		Metadata: meta("default", "api", 7*time.Minute+30*time.Second),
		Spec: &gantryv1.DeploymentSpec{Replicas: i32(5), Template: template("api"), Selector: &gantryv1.LabelSelector{
			MatchLabels:      map[string]string{"app": "api"},
			MatchExpressions: []*gantryv1.LabelSelectorRequirement{{Key: "tier", Operator: "In", Values: []string{"backend", "edge"}}},
		}},
		Status: &gantryv1.DeploymentStatus{Replicas: 6, UpdatedReplicas: 2, ReadyReplicas: 4, AvailableReplicas: 4, UnavailableReplicas: 1},
	}
	defaulted := &gantryv1.Deployment{Metadata: meta("default", "one", 30*time.Second), Spec: &gantryv1.DeploymentSpec{Template: template("x")}}
	return []*gantryv1.Object{
		{Kind: &gantryv1.Object_Deployment{Deployment: web}},
		{Kind: &gantryv1.Object_Deployment{Deployment: rolling}},
		{Kind: &gantryv1.Object_Deployment{Deployment: defaulted}},
	}
}

func replicaSets() []*gantryv1.Object {
	mk := func(name string, age time.Duration, want, cur, ready int32) *gantryv1.Object {
		return &gantryv1.Object{Kind: &gantryv1.Object_ReplicaSet{ReplicaSet: &gantryv1.ReplicaSet{
			Metadata: meta("default", name, age),
			Spec:     &gantryv1.ReplicaSetSpec{Replicas: i32(want), Selector: matchLabels("app", "web", "pod-template-hash", name[4:]), Template: template("app")},
			Status:   &gantryv1.ReplicaSetStatus{Replicas: cur, ReadyReplicas: ready},
		}}}
	}
	return []*gantryv1.Object{mk("web-7d4b9c", 26*time.Hour, 3, 3, 3), mk("web-55f8d6", 3*24*time.Hour, 0, 0, 0), mk("web-6c9f7b", 40*time.Second, 2, 2, 0)}
}

func node(name string, age time.Duration, ready string, unschedulable bool, labels map[string]string) *gantryv1.Object {
	n := &gantryv1.Node{
		Metadata: meta("", name, age),
		Spec:     &gantryv1.NodeSpec{Unschedulable: unschedulable, PodCidr: "10.42.0.0/24"},
		Status: &gantryv1.NodeStatus{
			Addresses: []*gantryv1.NodeAddress{{Type: "InternalIP", Address: "127.0.0.11"}, {Type: "Hostname", Address: name}},
			NodeInfo: &gantryv1.NodeSystemInfo{KubeletVersion: "v0.4.0", OsImage: "Debian GNU/Linux 12 (bookworm)",
				KernelVersion: "6.1.0-18-amd64", ContainerRuntimeVersion: "process://0.4.0"},
		},
	}
	n.Metadata.Labels = labels
	if ready != "" {
		n.Status.Conditions = []*gantryv1.Condition{{Type: "NetworkUnavailable", Status: "False"}, {Type: "Ready", Status: ready}}
	}
	return &gantryv1.Object{Kind: &gantryv1.Object_Node{Node: n}}
}

func nodes() []*gantryv1.Object {
	ext := node("node-ext", 400*24*time.Hour, "True", false, map[string]string{"kubernetes.io/role": "edge"})
	ext.GetNode().Status.Addresses = append(ext.GetNode().Status.Addresses, &gantryv1.NodeAddress{Type: "ExternalIP", Address: "203.0.113.7"})
	bare := node("node-new", 5*time.Second, "", false, nil)
	bare.GetNode().Status.NodeInfo = nil
	return []*gantryv1.Object{
		node("node-a", 26*time.Hour, "True", false, map[string]string{"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": ""}),
		node("node-b", 3*time.Hour, "False", true, nil),
		node("node-c", 3*time.Hour, "Unknown", false, nil),
		ext,
		bare,
	}
}

func services() []*gantryv1.Object {
	mk := func(name string, spec *gantryv1.ServiceSpec) *gantryv1.Object {
		return &gantryv1.Object{Kind: &gantryv1.Object_Service{Service: &gantryv1.Service{Metadata: meta("default", name, 26*time.Hour), Spec: spec}}}
	}
	return []*gantryv1.Object{
		mk("kubernetes", &gantryv1.ServiceSpec{Type: "ClusterIP", ClusterIp: "10.96.0.1", ClusterIps: []string{"10.96.0.1"},
			Ports: []*gantryv1.ServicePort{{Name: "https", Protocol: "TCP", Port: 443, TargetPort: "6443"}}}),
		mk("web", &gantryv1.ServiceSpec{Type: "NodePort", ClusterIp: "10.96.14.200", ClusterIps: []string{"10.96.14.200"},
			Selector: map[string]string{"app": "web"},
			Ports: []*gantryv1.ServicePort{{Name: "http", Protocol: "TCP", Port: 80, TargetPort: "8080", NodePort: 30080},
				{Name: "dns", Protocol: "UDP", Port: 53, NodePort: 30053}}}),
		mk("db", &gantryv1.ServiceSpec{ClusterIp: "None", ClusterIps: []string{"None"}, Selector: map[string]string{"app": "db", "tier": "data"},
			Ports: []*gantryv1.ServicePort{{Port: 5432}}}),
		mk("empty", &gantryv1.ServiceSpec{ClusterIp: "10.96.3.3"}),
	}
}

func str(s string) *string { return &s }

func endpointSlices() []*gantryv1.Object {
	ready := true
	many := &gantryv1.EndpointSlice{Metadata: meta("default", "web-x8f2k", 26*time.Hour), AddressType: "IPv4",
		Ports: []*gantryv1.EndpointPort{{Name: str("http"), Port: i32(8080)}, {Name: str("dns"), Port: i32(53)}}}
	for i := range 5 {
		many.Endpoints = append(many.Endpoints, &gantryv1.Endpoint{Addresses: []string{"10.42.0." + string(rune('1'+i))},
			Conditions: &gantryv1.EndpointConditions{Ready: &ready}})
	}
	named := &gantryv1.EndpointSlice{Metadata: meta("default", "db-2mq9d", time.Hour), AddressType: "IPv4",
		Ports:     []*gantryv1.EndpointPort{{Name: str("pg")}, {}, {Port: i32(1)}, {Port: i32(2)}},
		Endpoints: []*gantryv1.Endpoint{{Addresses: []string{"10.42.1.9"}}}}
	empty := &gantryv1.EndpointSlice{Metadata: meta("default", "empty-zz9xx", time.Minute), AddressType: "IPv4"}
	return []*gantryv1.Object{
		{Kind: &gantryv1.Object_EndpointSlice{EndpointSlice: many}},
		{Kind: &gantryv1.Object_EndpointSlice{EndpointSlice: named}},
		{Kind: &gantryv1.Object_EndpointSlice{EndpointSlice: empty}},
	}
}

func configMaps() []*gantryv1.Object {
	return []*gantryv1.Object{
		{Kind: &gantryv1.Object_ConfigMap{ConfigMap: &gantryv1.ConfigMap{Metadata: meta("default", "settings", time.Hour),
			Data: map[string]string{"a": "1", "b": "2"}, BinaryData: map[string][]byte{"c": {3}}}}},
		{Kind: &gantryv1.Object_ConfigMap{ConfigMap: &gantryv1.ConfigMap{Metadata: meta("default", "empty", time.Minute)}}},
	}
}

func secrets() []*gantryv1.Object {
	return []*gantryv1.Object{
		{Kind: &gantryv1.Object_Secret{Secret: &gantryv1.Secret{Metadata: meta("default", "db-password", time.Hour),
			Type: "Opaque", Data: map[string][]byte{"password": []byte("hunter2")}}}},
		{Kind: &gantryv1.Object_Secret{Secret: &gantryv1.Secret{Metadata: meta("default", "tls", 3*24*time.Hour),
			Type: "kubernetes.io/tls", Data: map[string][]byte{"tls.crt": nil, "tls.key": nil}}}},
	}
}

func namespaces() []*gantryv1.Object {
	gone := &gantryv1.Namespace{Metadata: meta("", "old", time.Hour), Status: &gantryv1.NamespaceStatus{Phase: "Terminating"}}
	gone.Metadata.DeletionTimestamp = ago(time.Second)
	return []*gantryv1.Object{
		{Kind: &gantryv1.Object_Namespace{Namespace: &gantryv1.Namespace{Metadata: meta("", "default", 26*time.Hour), Status: &gantryv1.NamespaceStatus{Phase: "Active"}}}},
		{Kind: &gantryv1.Object_Namespace{Namespace: gone}},
		{Kind: &gantryv1.Object_Namespace{Namespace: &gantryv1.Namespace{Metadata: meta("", "new", time.Second)}}},
	}
}

func leases() []*gantryv1.Object {
	return []*gantryv1.Object{
		{Kind: &gantryv1.Object_Lease{Lease: &gantryv1.Lease{Metadata: meta("gantry-system", "gantry-scheduler", 26*time.Hour),
			Spec: &gantryv1.LeaseSpec{HolderIdentity: "scheduler-0_8f2c", LeaseDurationSeconds: 15}}}},
		{Kind: &gantryv1.Object_Lease{Lease: &gantryv1.Lease{Metadata: meta("gantry-system", "free", time.Hour)}}},
	}
}

func events() []*gantryv1.Object {
	mk := func(name, typ, reason, kind, obj, msg string, first, last time.Duration, count int32, src *gantryv1.EventSource) *gantryv1.Object {
		e := &gantryv1.Event{Metadata: meta("default", name, first), Type: typ, Reason: reason, Message: msg, Count: count, Source: src,
			InvolvedObject: &gantryv1.ObjectReference{Kind: kind, Name: obj, Namespace: "default"}}
		if first > 0 {
			e.FirstTimestamp = ago(first)
		}
		if last > 0 {
			e.LastTimestamp = ago(last)
		}
		return &gantryv1.Object{Kind: &gantryv1.Object_Event{Event: e}}
	}
	modern := mk("web.modern", "Normal", "Pulled", "Pod", "web-7d4b9c-x2x9q", "image pulled", 0, 0, 0, nil)
	modern.GetEvent().EventTime = ago(20 * time.Second)
	modern.GetEvent().ReportingComponent, modern.GetEvent().ReportingInstance = "nodeagent", "node-a"
	return []*gantryv1.Object{
		mk("web.1", "Normal", "ScalingReplicaSet", "Deployment", "web", "Scaled up replica set web-7d4b9c to 3", 26*time.Hour, 26*time.Hour, 1,
			&gantryv1.EventSource{Component: "deployment-controller"}),
		mk("crashy.2", "Warning", "BackOff", "Pod", "crashy-5f6d-abcde", "Back-off restarting failed container app\nsecond line", 47*time.Minute, 5*time.Minute, 12,
			&gantryv1.EventSource{Component: "nodeagent", Host: "node-b"}),
		mk("big.3", "Warning", "FailedScheduling", "Pod", "big-0", "  0/3 nodes are available: 3 Insufficient cpu.  ", 90*time.Second, 0, 0,
			&gantryv1.EventSource{Component: "default-scheduler"}),
		modern,
	}
}
