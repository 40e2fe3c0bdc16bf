package manifest

import (
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func richObjects() []*gantryv1.Object {
	ts := timestamppb.New(time.Date(2024, 5, 6, 7, 8, 9, 120000000, time.UTC))
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	b := func(v bool) *bool { return &v }
	s := func(v string) *string { return &v }
	meta := func(name string) *gantryv1.ObjectMeta {
		return &gantryv1.ObjectMeta{
			Name: name, Namespace: "prod", Uid: "0b6e4c1e", ResourceVersion: "42", Generation: 9007199254740993,
			CreationTimestamp: ts, DeletionGracePeriodSeconds: i64(30),
			Labels:      map[string]string{"app": "web", "app.kubernetes.io/name": "web", "yes": "on", "n": "0755", "empty": ""},
			Annotations: map[string]string{"note": "multi\nline\n", "spaces": "  padded  ", "num": "1.0", "merge": "<<"},
			OwnerReferences: []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: "r", Uid: "u",
				Controller: b(true), BlockOwnerDeletion: b(false)}},
			Finalizers: []string{"gantry.io/cleanup"},
		}
	}
	podSpec := &gantryv1.PodSpec{
		RestartPolicy: "Always", NodeSelector: map[string]string{"disk": "ssd"}, NodeName: "n1",
		SchedulerName: "default-scheduler", TerminationGracePeriodSeconds: i64(0), ActiveDeadlineSeconds: i64(600),
		EnableServiceLinks: b(false),
		HostNetwork:        true, Hostname: "h", Subdomain: "s", Priority: -5,
		Tolerations: []*gantryv1.Toleration{{Key: "k", Operator: "Equal", Value: "v", Effect: "NoExecute", TolerationSeconds: i64(300)}},
		Containers: []*gantryv1.Container{{
			Name: "web", Image: "nginx", Command: []string{"sh", "-c"}, Args: []string{"8080", "true", ""}, WorkingDir: "/",
			ImagePullPolicy: "IfNotPresent",
			Ports:           []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 8080, HostPort: 80, Protocol: "TCP", HostIp: "0.0.0.0"}},
			Env: []*gantryv1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", ValueFrom: &gantryv1.EnvVarSource{
				FieldRef:        &gantryv1.ObjectFieldSelector{ApiVersion: "v1", FieldPath: "metadata.name"},
				ConfigMapKeyRef: &gantryv1.ConfigMapKeySelector{Name: "c", Key: "k", Optional: b(true)},
				SecretKeyRef:    &gantryv1.SecretKeySelector{Name: "s", Key: "k"},
			}}},
			Resources: &gantryv1.ResourceRequirements{
				Limits:   map[string]string{"cpu": "1", "memory": "128Mi"},
				Requests: map[string]string{"cpu": "500m", "memory": "1e3", "nvidia.com/gpu": "1"},
			},
			LivenessProbe: &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: "/", Port: "8080", Host: "h", Scheme: "HTTP",
				HttpHeaders: []*gantryv1.HTTPHeader{{Name: "X", Value: "y"}}}, InitialDelaySeconds: 1, TerminationGracePeriodSeconds: i64(5)},
			ReadinessProbe: &gantryv1.Probe{TcpSocket: &gantryv1.TCPSocketAction{Port: "http"}, PeriodSeconds: 3},
			StartupProbe:   &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: []string{"true"}}, FailureThreshold: 30},
		}},
	}
	cond := &gantryv1.Condition{Type: "Ready", Status: "True", LastTransitionTime: ts, Reason: "R", Message: "m", ObservedGeneration: 3}
	return []*gantryv1.Object{
		apimeta.Wrap(&gantryv1.Deployment{
			Metadata: meta("web"),
			Spec: &gantryv1.DeploymentSpec{
				Replicas: i32(0), Paused: true, MinReadySeconds: 5, RevisionHistoryLimit: i32(10), ProgressDeadlineSeconds: i32(600),
				Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web"},
					MatchExpressions: []*gantryv1.LabelSelectorRequirement{{Key: "tier", Operator: "In", Values: []string{"a", "b"}}}},
				Template: &gantryv1.PodTemplateSpec{Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: podSpec},
				Strategy: &gantryv1.DeploymentStrategy{Type: "RollingUpdate",
					RollingUpdate: &gantryv1.RollingUpdateDeployment{MaxSurge: "25%", MaxUnavailable: "1"}},
			},
			Status: &gantryv1.DeploymentStatus{ObservedGeneration: 4, Replicas: 3, CollisionCount: i32(0),
				Conditions: []*gantryv1.Condition{cond}},
		}),
		apimeta.Wrap(&gantryv1.Pod{Metadata: meta("p"), Spec: podSpec, Status: &gantryv1.PodStatus{
			Phase: "Running", PodIp: "10.0.0.5", PodIps: []*gantryv1.PodIP{{Ip: "10.0.0.5"}}, StartTime: ts,
			ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "web", Ready: true, RestartCount: 2, ImageId: "sha", ContainerId: "c", Started: b(true),
				State:     &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{StartedAt: ts}},
				LastState: &gantryv1.ContainerState{Terminated: &gantryv1.ContainerStateTerminated{ExitCode: -1, Signal: 9, FinishedAt: ts}}}},
		}}),
		apimeta.Wrap(&gantryv1.ReplicaSet{Metadata: meta("r"), Spec: &gantryv1.ReplicaSetSpec{Replicas: i32(2)},
			Status: &gantryv1.ReplicaSetStatus{Replicas: 2, ObservedGeneration: 1}}),
		apimeta.Wrap(&gantryv1.Service{Metadata: meta("s"), Spec: &gantryv1.ServiceSpec{
			Type: "NodePort", ClusterIp: "10.96.0.10", ClusterIps: []string{"10.96.0.10"}, Selector: map[string]string{"app": "web"},
			SessionAffinity: "None", PublishNotReadyAddresses: true,
			Ports: []*gantryv1.ServicePort{
				{Name: "http", Protocol: "TCP", Port: 80, TargetPort: "8080", NodePort: 30080, AppProtocol: "http"},
				{Name: "named", Port: 81, TargetPort: "http"},
				{Name: "odd", Port: 82, TargetPort: "08080"},
			}}}),
		apimeta.Wrap(&gantryv1.ConfigMap{Metadata: meta("c"), Data: map[string]string{"a": "1", "f": "x: y\n"},
			BinaryData: map[string][]byte{"b": {0, 1, 2, 255}}, Immutable: b(false)}),
		apimeta.Wrap(&gantryv1.Secret{Metadata: meta("sec"), Type: "Opaque", Data: map[string][]byte{"pw": []byte("hunter2"), "empty": {}},
			StringData: map[string]string{"user": "admin"}, Immutable: b(true)}),
		apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "team"}, Spec: &gantryv1.NamespaceSpec{Finalizers: []string{"kubernetes"}},
			Status: &gantryv1.NamespaceStatus{Phase: "Active"}}),
		apimeta.Wrap(&gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: "n1"},
			Spec: &gantryv1.NodeSpec{PodCidr: "10.1.0.0/24", PodCidrs: []string{"10.1.0.0/24"}, Unschedulable: true, ProviderId: "p",
				Taints: []*gantryv1.Taint{{Key: "k", Value: "v", Effect: "NoSchedule", TimeAdded: ts}}},
			Status: &gantryv1.NodeStatus{Capacity: map[string]string{"cpu": "4", "memory": "8Gi", "pods": "110"},
				Allocatable: map[string]string{"cpu": "3500m"}, Conditions: []*gantryv1.Condition{cond},
				Addresses:       []*gantryv1.NodeAddress{{Type: "InternalIP", Address: "10.0.0.1"}},
				NodeInfo:        &gantryv1.NodeSystemInfo{MachineId: "m", BootId: "b", KubeletVersion: "v0.1"},
				DaemonEndpoints: &gantryv1.NodeDaemonEndpoints{KubeletEndpoint: &gantryv1.DaemonEndpoint{Port: 10250}}}}),
		apimeta.Wrap(&gantryv1.EndpointSlice{Metadata: meta("e"), AddressType: "IPv4",
			Endpoints: []*gantryv1.Endpoint{{Addresses: []string{"10.0.0.5"}, Hostname: "h", NodeName: s("n1"),
				Conditions: &gantryv1.EndpointConditions{Ready: b(true), Serving: b(false)},
				TargetRef:  &gantryv1.ObjectReference{Kind: "Pod", Name: "p", Namespace: "prod"}}},
			Ports: []*gantryv1.EndpointPort{{Name: s(""), Protocol: s("TCP"), Port: i32(8080), AppProtocol: s("http")}}}),
		apimeta.Wrap(&gantryv1.Lease{Metadata: meta("l"), Spec: &gantryv1.LeaseSpec{HolderIdentity: "a", LeaseDurationSeconds: 15,
			AcquireTime: ts, RenewTime: timestamppb.New(time.Date(2024, 1, 1, 0, 0, 0, 1, time.UTC)), LeaseTransitions: 3}}),
		apimeta.Wrap(&gantryv1.Event{Metadata: meta("ev"), InvolvedObject: &gantryv1.ObjectReference{Kind: "Pod", Name: "p", FieldPath: "spec"},
			Reason: "Started", Message: "ok", Source: &gantryv1.EventSource{Component: "nodeagent", Host: "n1"},
			FirstTimestamp: ts, LastTimestamp: ts, EventTime: ts, Count: 2, Type: "Normal", Action: "a",
			ReportingComponent: "c", ReportingInstance: "i"}),
		apimeta.Wrap(&gantryv1.Ingress{Metadata: meta("ing"), Spec: &gantryv1.IngressSpec{
			IngressClassName: s("nginx"),
			DefaultBackend:   &gantryv1.IngressBackend{Service: &gantryv1.IngressServiceBackend{Name: "web", Port: &gantryv1.ServiceBackendPort{Number: 80}}},
			Tls:              []*gantryv1.IngressTLS{{Hosts: []string{"a.example"}, SecretName: "tls"}},
			Rules: []*gantryv1.IngressRule{{Host: "a.example", Http: &gantryv1.HTTPIngressRuleValue{Paths: []*gantryv1.HTTPIngressPath{{
				Path: "/", PathType: "Prefix",
				Backend: &gantryv1.IngressBackend{Service: &gantryv1.IngressServiceBackend{Name: "web", Port: &gantryv1.ServiceBackendPort{Name: "http"}}},
			}}}}},
		}, Status: &gantryv1.IngressStatus{LoadBalancer: &gantryv1.IngressLoadBalancerStatus{Ingress: []*gantryv1.IngressLoadBalancerIngress{{
			Ip: "10.0.0.9", Ports: []*gantryv1.IngressPortStatus{{Port: 443, Protocol: "TCP", Error: s("")}},
		}}}}}),
		apimeta.Wrap(&gantryv1.PodDisruptionBudget{Metadata: meta("pdb"), Spec: &gantryv1.PodDisruptionBudgetSpec{
			MinAvailable: s("50%"), Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			UnhealthyPodEvictionPolicy: s("AlwaysAllow"),
		}, Status: &gantryv1.PodDisruptionBudgetStatus{ObservedGeneration: 2, DisruptionsAllowed: 1, CurrentHealthy: 3,
			DesiredHealthy: 2, ExpectedPods: 3, DisruptedPods: map[string]*timestamppb.Timestamp{"web-1": ts}}}),
	}
}

func TestRoundTrip(t *testing.T) {
	opts := DefaultOptions()
	opts.KeepStatus = true
	objs := richObjects()
	if len(objs) != len(apimeta.Kinds()) {
		t.Fatalf("richObjects has %d kinds, apimeta %d: add the new kind", len(objs), len(apimeta.Kinds()))
	}
	for _, obj := range objs {
		for _, format := range []string{FormatYAML, FormatJSON} {
			t.Run(apimeta.KindOf(obj)+"/"+format, func(t *testing.T) {
				b, err := Encode(obj, format)
				if err != nil {
					t.Fatal(err)
				}
				got := decodeWith(t, "out."+format, string(b), opts)
				if len(got) != 1 || !proto.Equal(got[0].Object, obj) {
					t.Fatalf("round trip changed the object\nencoded:\n%s\ngot:  %v\nwant: %v", b, got, obj)
				}
			})
		}
	}
	for _, format := range []string{FormatYAML, FormatJSON} {
		b, err := EncodeList(objs, format)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeWith(t, "list."+format, string(b), opts)
		if len(got) != len(objs) {
			t.Fatalf("%s List: got %d objects, want %d", format, len(got), len(objs))
		}
		for i := range objs {
			if !proto.Equal(got[i].Object, objs[i]) {
				t.Errorf("%s List item %d changed:\ngot:  %v\nwant: %v", format, i, got[i].Object, objs[i])
			}
		}
	}
}

func TestRoundTripTestdata(t *testing.T) {
	decoded, _, err := ReadPaths([]string{"testdata"}, nil, false, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range decoded {
		b, err := Encode(d.Object, FormatYAML)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeAll(t, "x.yaml", string(b)); len(got) != 1 || !proto.Equal(got[0].Object, d.Object) {
			t.Errorf("%s: round trip changed the object:\n%s", d.Source, b)
		}
	}
}

func TestEncodeKubernetesShape(t *testing.T) {
	obj := richObjects()[0]
	y, err := Encode(obj, FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"apiVersion: apps/v1\n", "kind: Deployment\n", "metadata:\n", "spec:\n", "status:\n",
		"  generation: 9007199254740993\n", // int64 as a number, not a string
		"      terminationGracePeriodSeconds: 0\n",
		"      activeDeadlineSeconds: 600\n",
		"      maxSurge: 25%\n", "      maxUnavailable: 1\n",
		"          cpu: 500m\n", "          cpu: \"1\"\n",
		"        - containerPort: 8080\n", "          hostIP: 0.0.0.0\n",
		"  creationTimestamp: \"2024-05-06T07:08:09.120Z\"\n",
	} {
		if !strings.Contains(string(y), want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
	if !strings.HasPrefix(string(y), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n") {
		t.Errorf("YAML does not start with apiVersion, kind, metadata:\n%s", y)
	}
	j, err := Encode(richObjects()[3], FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"{\n    \"apiVersion\": \"v1\",\n", `"targetPort": 8080`, `"targetPort": "http"`, `"targetPort": "08080"`, `"clusterIP": "10.96.0.10"`} {
		if !strings.Contains(string(j), want) {
			t.Errorf("JSON lacks %q:\n%s", want, j)
		}
	}
	l, err := EncodeList(nil, FormatYAML)
	if err != nil || string(l) != "apiVersion: v1\nitems: []\nkind: List\n" {
		t.Errorf("empty List: %q %v", l, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(&gantryv1.Object{}, FormatYAML); err == nil {
		t.Error("empty envelope: no error")
	}
	if _, err := Encode(nil, FormatYAML); err == nil {
		t.Error("nil: no error")
	}
	if _, err := Encode(richObjects()[0], "xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("unknown format: %v", err)
	}
}
