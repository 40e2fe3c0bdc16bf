package describe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestDescribeGolden(t *testing.T) {
	ready, notReady := true, false
	svcPorts := []*gantryv1.EndpointPort{{Name: ptr("http"), Port: ptr[int32](8080), Protocol: ptr("TCP")}, {Name: ptr("dns"), Port: ptr[int32](53), Protocol: ptr("UDP")}}
	slices := []*gantryv1.Object{
		endpointSlice("web-x8f2k", svcPorts, endpoint("10.42.0.7", &ready, "web-1"), endpoint("10.42.0.8", nil, "web-2"),
			endpoint("10.42.0.9", &notReady, "web-3")),
		endpointSlice("web-q7z4m", svcPorts, endpoint("10.42.1.2", &ready, "web-4"), endpoint("10.42.1.3", &ready, "web-5")),
	}
	events := []*gantryv1.Event{
		event("Warning", "BackOff", "Back-off restarting\tfailed container sidecar\n", "nodeagent", 50*time.Minute, 30*time.Second, 14),
		event("Normal", "Scheduled", "Successfully assigned default/web-7d4b9c-x2x9q to node-a", "default-scheduler", 26*time.Hour, 26*time.Hour, 1),
		{Type: "Normal", Reason: "Started", Message: "Started container app", ReportingComponent: "nodeagent", EventTime: ago(time.Hour)},
	}
	cases := []struct {
		name  string
		obj   *gantryv1.Object
		extra Extra
	}{
		{"pod-running", runningPod(), Extra{Events: events}},
		{"pod-pending-explain", pendingPod(), Extra{Explain: explain(), Events: []*gantryv1.Event{
			event("Warning", "FailedScheduling", explain().GetSummary(), "default-scheduler", 90*time.Second, 10*time.Second, 4)}}},
		{"pod-pending-condition", pendingPod(), Extra{}},
		{"pod-pending-fits-now", pendingPod(), Extra{Explain: &gantryv1.ExplainResponse{Summary: "", Chosen: "node-c",
			Nodes: []*gantryv1.NodeVerdict{{Node: "node-c", Feasible: true, Score: 87}, {Node: "node-a", Filter: "NodeUnschedulable", Reason: "node(s) were unschedulable"}}}}},
		{"pod-terminating", terminatingPod(), Extra{}},
		{"deployment", deployment(), Extra{Owned: append(ownedReplicaSets(), runningPod()), Events: []*gantryv1.Event{
			event("Normal", "ScalingReplicaSet", "Scaled up replica set web-7d4b9c to 2", "deployment-controller", 2*time.Minute, 2*time.Minute, 1)}}},
		{"deployment-recreate-no-replicasets", recreateDeployment(), Extra{}},
		{"replicaset", ownedReplicaSets()[1], Extra{Owned: []*gantryv1.Object{
			simplePod("a", "node-a", "Running", "", ""), simplePod("b", "node-a", "Pending", "", ""), simplePod("c", "node-a", "Failed", "", "")}}},
		{"node", node(), Extra{Owned: []*gantryv1.Object{nodeLease(),
			simplePod("web-1", "node-a", "Running", "500m", "512Mi"), simplePod("web-2", "node-a", "Pending", "1", ""),
			simplePod("done", "node-a", "Succeeded", "2", ""), simplePod("elsewhere", "node-b", "Running", "2", "")}}},
		{"node-bare", bareNode(), Extra{}},
		{"service-nodeport", service("web", &gantryv1.ServiceSpec{Type: "NodePort", ClusterIp: "10.96.14.200", ClusterIps: []string{"10.96.14.200"},
			Selector: map[string]string{"app": "web"}, SessionAffinity: "None",
			Ports: []*gantryv1.ServicePort{{Name: "http", Protocol: "TCP", Port: 80, TargetPort: "http", NodePort: 30080},
				{Name: "dns", Protocol: "UDP", Port: 53, TargetPort: "53", NodePort: 30053}}}), Extra{Owned: slices}},
		{"service-headless", service("db", &gantryv1.ServiceSpec{ClusterIp: "None", ClusterIps: []string{"None"},
			Selector: map[string]string{"app": "db"}, Ports: []*gantryv1.ServicePort{{Port: 5432}}}), Extra{}},
		{"endpointslice", slices[0], Extra{}},
		{"endpointslice-empty", endpointSlice("empty", nil), Extra{}},
		{"configmap", configMap(), Extra{}},
		{"secret", secret(), Extra{}},
		{"namespace", namespace(), Extra{}},
		{"lease-generic", nodeLease(), Extra{}},
		{"event-generic", &gantryv1.Object{Kind: &gantryv1.Object_Event{Event: events[0]}}, Extra{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Describe(&b, tc.obj, tc.extra, now); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "describe-"+tc.name, b.Bytes())
		})
	}
}

// TestDescribeKeyLines pins the lines each describer exists for, apart
// from the golden files, so a regeneration cannot hide their loss.
func TestDescribeKeyLines(t *testing.T) {
	cases := []struct {
		obj   *gantryv1.Object
		extra Extra
		want  []string
	}{
		{pendingPod(), Extra{Explain: explain()}, []string{
			"Node:               <none>",
			"Scheduling:      0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}.",
			"  node-gpu-1  No           TaintToleration   node(s) had untolerated taint {dedicated: gpu}",
			"Node-Selectors:  <none>",
		}},
		{runningPod(), Extra{}, []string{
			"Controlled By:  ReplicaSet/web-7d4b9c",
			"      Reason:       CrashLoopBackOff",
			"    Restart Count:  2",
			"      POD_NAME:     web-7d4b9c-x2x9q (v1:metadata.name)",
			"Events:             <none>",
		}},
		{deployment(), Extra{Owned: ownedReplicaSets()}, []string{
			"Replicas:               3 desired | 2 updated | 4 total | 3 available | 1 unavailable",
			"RollingUpdateStrategy:  0 max unavailable, 1 max surge",
			"OldReplicaSets:  web-55f8d6 (2/2 replicas created)",
			"NewReplicaSet:   web-7d4b9c (2/2 replicas created)",
		}},
		{node(), Extra{}, []string{
			"Taints:             node.kubernetes.io/not-ready:NoExecute",
			"                    dedicated=gpu:NoSchedule",
			"                    node.kubernetes.io/unschedulable:NoSchedule",
			"Unschedulable:      true",
		}},
	}
	for _, tc := range cases {
		var b bytes.Buffer
		if err := Describe(&b, tc.obj, tc.extra, now); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w+"\n") {
				t.Errorf("describe %s: no line %q in\n%s", tc.obj.ProtoReflect().WhichOneof(tc.obj.ProtoReflect().Descriptor().Oneofs().Get(0)).Name(), w, b.String())
			}
		}
	}
}

type failWriter struct{ after int }

var errBroken = errors.New("broken pipe")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errBroken
	}
	f.after--
	return len(p), nil
}

func TestDescribeErrors(t *testing.T) {
	if err := Describe(&bytes.Buffer{}, &gantryv1.Object{}, Extra{}, now); !errors.Is(err, ErrEmptyObject) {
		t.Errorf("empty envelope: %v", err)
	}
	for _, o := range []*gantryv1.Object{runningPod(), configMap(), nodeLease()} {
		for after := range 3 {
			err := Describe(&failWriter{after: after}, o, Extra{}, now)
			if !errors.Is(err, errBroken) {
				t.Errorf("write failing after %d writes: %v", after, err)
			}
		}
	}
}

// TestTimeZone shows times in now's zone.
func TestTimeZone(t *testing.T) {
	var b bytes.Buffer
	zone := time.FixedZone("X", -5*3600)
	if err := Describe(&b, deployment(), Extra{}, now.In(zone)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "CreationTimestamp:      Sat, 28 Feb 2026 05:00:00 -0500\n") {
		t.Errorf("creation time not in now's zone:\n%s", b.String())
	}
}
