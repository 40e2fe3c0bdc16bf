package printer

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func TestTablesGolden(t *testing.T) {
	podsA := append([]*gantryv1.Object{inNamespace(pods()[0], "kube-system")}, pods()[1:3]...)
	cases := []struct {
		name string
		kind string
		objs []*gantryv1.Object
		opts Options
	}{
		{"pods", apimeta.KindPod, pods(), Options{}},
		{"pods-wide", apimeta.KindPod, pods(), Options{Wide: true}},
		{"pods-all-namespaces", apimeta.KindPod, podsA, Options{WithNamespace: true}},
		{"pods-no-headers-with-kind", apimeta.KindPod, pods()[:3], Options{NoHeaders: true, WithKind: true}},
		{"deployments", apimeta.KindDeployment, deployments(), Options{}},
		{"deployments-wide", apimeta.KindDeployment, deployments(), Options{Wide: true}},
		{"deployments-with-kind", apimeta.KindDeployment, deployments(), Options{WithKind: true, WithNamespace: true}},
		{"replicasets", apimeta.KindReplicaSet, replicaSets(), Options{}},
		{"replicasets-wide", apimeta.KindReplicaSet, replicaSets(), Options{Wide: true}},
		{"nodes", apimeta.KindNode, nodes(), Options{}},
		{"nodes-wide-all-namespaces", apimeta.KindNode, nodes(), Options{Wide: true, WithNamespace: true}},
		{"services", apimeta.KindService, services(), Options{}},
		{"services-wide", apimeta.KindService, services(), Options{Wide: true}},
		{"endpointslices", apimeta.KindEndpointSlice, endpointSlices(), Options{}},
		{"configmaps", apimeta.KindConfigMap, configMaps(), Options{}},
		{"secrets", apimeta.KindSecret, secrets(), Options{}},
		{"namespaces", apimeta.KindNamespace, namespaces(), Options{}},
		{"leases", apimeta.KindLease, leases(), Options{WithNamespace: true}},
		{"events", apimeta.KindEvent, events(), Options{}},
		{"events-wide", apimeta.KindEvent, events(), Options{Wide: true, WithKind: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = now
			var b bytes.Buffer
			if err := PrintTable(&b, tc.kind, tc.objs, tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "table-"+tc.name, b.Bytes())
		})
	}
}

// TestPodStatusColumn pins the STATUS and RESTARTS of the tricky pods
// apart from the golden files, so a regeneration cannot hide a change.
func TestPodStatusColumn(t *testing.T) {
	want := map[string][2]string{
		"web-7d4b9c-x2x9q":  {"Running", "0"},
		"crashy-5f6d-abcde": {"CrashLoopBackOff", "3 (5m ago)"},
		"web-7d4b9c-term1":  {"Terminating", "0"},
		"big-0":             {"Pending", "0"},
		"init-0":            {"ContainerCreating", "0"},
		"job-x7k2p":         {"Completed", "0"},
		"failed-0":          {"Error", "0"},
		"killed-0":          {"Signal:9", "0"},
		"unready-0":         {"Running", "0"},
		"fresh-0":           {"Pending", "0"},
	}
	for _, o := range pods() {
		row := podRow(o, now, false)
		w := want[row[0]]
		if row[2] != w[0] || row[3] != w[1] {
			t.Errorf("%s: STATUS %q RESTARTS %q, want %q %q", row[0], row[2], row[3], w[0], w[1])
		}
	}
}

func TestNodeStatusColumn(t *testing.T) {
	want := []string{"Ready", "NotReady,SchedulingDisabled", "NotReady", "Ready", "Unknown"}
	for i, o := range nodes() {
		if got := NodeStatus(o.GetNode()); got != want[i] {
			t.Errorf("%s: %q, want %q", o.GetNode().GetMetadata().GetName(), got, want[i])
		}
	}
}

func TestPortsColumn(t *testing.T) {
	svcs := services()
	if got := ServicePorts(svcs[1].GetService().GetSpec().GetPorts()); got != "80:30080/TCP,53:30053/UDP" {
		t.Errorf("NodePort ports: %q", got)
	}
	if got := serviceRow(svcs[2], now, false)[2]; got != "None" {
		t.Errorf("headless CLUSTER-IP: %q", got)
	}
}

// TestStreaming prints the header once, with the first rows, then a row
// per event; columns stay where the first batch put them unless a cell
// is longer.
func TestStreaming(t *testing.T) {
	var b bytes.Buffer
	p := NewTablePrinter(&b, apimeta.KindPod, Options{Now: now})
	if err := p.PrintRows(nil); err != nil || b.Len() != 0 {
		t.Fatalf("no rows printed %q (err %v), want nothing", b.String(), err)
	}
	ps := pods()
	steps := [][]*gantryv1.Object{{ps[0], ps[2]}, {ps[1]}, {ps[9]}}
	for _, s := range steps {
		if err := p.PrintRows(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.PrintRow(ps[4]); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "NAME"); n != 1 {
		t.Errorf("header printed %d times", n)
	}
	checkGolden(t, "table-pods-watch", b.Bytes())
}

func TestTableErrors(t *testing.T) {
	var b bytes.Buffer
	err := PrintTable(&b, apimeta.KindDeployment, pods()[:1], Options{Now: now})
	if !errors.Is(err, ErrKindMismatch) || !strings.Contains(err.Error(), "Pod/web-7d4b9c-x2x9q") {
		t.Errorf("pod in a deployment table: %v", err)
	}
	err = PrintTable(&b, apimeta.KindPod, []*gantryv1.Object{pods()[0], {}}, Options{Now: now})
	if !errors.Is(err, ErrEmptyObject) {
		t.Errorf("empty envelope: %v", err)
	}
	if b.Len() != 0 {
		t.Errorf("a failed table printed %q; want nothing", b.String())
	}
	if err := PrintTable(&b, "", nil, Options{}); err != nil || b.Len() != 0 {
		t.Errorf("no objects: %q, %v", b.String(), err)
	}
}

func TestInferredKindAndGeneric(t *testing.T) {
	var b bytes.Buffer
	if err := PrintTable(&b, "", configMaps(), Options{Now: now, NoHeaders: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "settings   3     60m\nempty      0     60s\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A kind without a table of its own (one added to the API later) shows NAME AGE.
	c := tableOf("CronJob")
	if got := strings.Join(c.header("CronJob", true), " "); got != "NAME AGE" {
		t.Errorf("generic header %q", got)
	}
	if got := strings.Join(c.row(pods()[0], now, false), " "); got != "web-7d4b9c-x2x9q 26h" {
		t.Errorf("generic row %q", got)
	}
}

func TestWallClockAge(t *testing.T) {
	o := pods()[0]
	o.GetPod().Metadata.CreationTimestamp = nil
	var b bytes.Buffer
	if err := PrintTable(&b, "", []*gantryv1.Object{o}, Options{NoHeaders: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "<unknown>\n") {
		t.Errorf("unset creation time: %q", b.String())
	}
	o.GetPod().Metadata.CreationTimestamp = ago(0)
	o.GetPod().Metadata.CreationTimestamp.Seconds = time.Now().Add(-3 * time.Minute).Unix()
	b.Reset()
	if err := PrintTable(&b, "", []*gantryv1.Object{o}, Options{NoHeaders: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), " 3m\n") && !strings.HasSuffix(b.String(), " 3m1s\n") {
		t.Errorf("age against the wall clock: %q", b.String())
	}
}
