package endpointslice

import (
	"fmt"
	"slices"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestNewServiceGetsOneSlice(t *testing.T) {
	f := newFixture(t)
	svc := f.seedService(webService())
	f.seedPods(podOpts{}, "a", "b", "c")
	f.seedPods(podOpts{noNode: true}, "unscheduled")
	f.seedPods(podOpts{noIP: true}, "no-ip")
	f.seedPods(podOpts{ip: "fd00::1"}, "ipv6")
	f.seedPods(podOpts{phase: "Succeeded"}, "done")
	f.seedPods(podOpts{labels: map[string]string{"app": "other"}}, "other")
	f.seedPods(podOpts{labels: map[string]string{"app": "web"}, node: "n2"}, "d")
	f.sync("default/web")
	f.expectWrites(1, 0, 0)

	ss := f.slicesOf("web")
	if len(ss) != 1 {
		t.Fatalf("%d slices, want 1", len(ss))
	}
	s := ss[0]
	m := s.GetMetadata()
	if got := podNames(s); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("endpoints %v, want a b c d", got)
	}
	if m.GetGenerateName() != "web-" || s.GetAddressType() != "IPv4" {
		t.Errorf("generateName %q, addressType %q", m.GetGenerateName(), s.GetAddressType())
	}
	wantLabels := map[string]string{"team": "a", LabelServiceName: "web", LabelManagedBy: ManagedBy}
	if fmt.Sprint(m.GetLabels()) != fmt.Sprint(wantLabels) {
		t.Errorf("labels %v, want %v", m.GetLabels(), wantLabels)
	}
	refs := m.GetOwnerReferences()
	if len(refs) != 1 || refs[0].GetKind() != "Service" || refs[0].GetName() != "web" || refs[0].GetUid() != svc.GetMetadata().GetUid() ||
		!refs[0].GetController() || !refs[0].GetBlockOwnerDeletion() || refs[0].GetApiVersion() != "v1" {
		t.Errorf("owner references %v, want the Service as controller", refs)
	}
	if got := portsString(s); got != "http/TCP/8080" {
		t.Errorf("ports %s, want http/TCP/8080", got)
	}
	for _, ep := range s.GetEndpoints() {
		name := ep.GetTargetRef().GetName()
		wantNode := "n1"
		if name == "d" {
			wantNode = "n2"
		}
		tr := ep.GetTargetRef()
		if !slices.Equal(ep.GetAddresses(), []string{podIP(name)}) || ep.GetNodeName() != wantNode ||
			tr.GetKind() != "Pod" || tr.GetNamespace() != ns || tr.GetUid() == "" {
			t.Errorf("endpoint %v: want address %s, node %s, a Pod target with uid", ep, podIP(name), wantNode)
		}
		c := ep.GetConditions()
		if !c.GetReady() || !c.GetServing() || c.GetTerminating() || c.Ready == nil || c.Terminating == nil {
			t.Errorf("endpoint %s conditions %v, want ready, serving, not terminating (all set)", name, c)
		}
	}
	// Nothing changed: nothing written.
	f.sync("default/web")
	f.expectWrites(0, 0, 0)
}

func TestEndpointConditions(t *testing.T) {
	tests := []struct {
		name                           string
		notReady, deleting, publishAll bool
		ready, serving, terminating    bool
	}{
		{name: "ready", ready: true, serving: true},
		{name: "not ready", notReady: true},
		{name: "terminating ready", deleting: true, serving: true, terminating: true},
		{name: "terminating not ready", notReady: true, deleting: true, terminating: true},
		{name: "publish not ready", notReady: true, publishAll: true, ready: true, serving: true},
		{name: "publish terminating", notReady: true, deleting: true, publishAll: true, ready: true, serving: true, terminating: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			svc := webService()
			svc.Spec.PublishNotReadyAddresses = tc.publishAll
			f.seedService(svc)
			f.seedPods(podOpts{notReady: tc.notReady, deleting: tc.deleting}, "p")
			f.sync("default/web")
			ss := f.slicesOf("web")
			if len(ss) != 1 || len(ss[0].GetEndpoints()) != 1 {
				t.Fatalf("slices %v, want one endpoint", ss)
			}
			c := ss[0].GetEndpoints()[0].GetConditions()
			if c.GetReady() != tc.ready || c.GetServing() != tc.serving || c.GetTerminating() != tc.terminating {
				t.Errorf("conditions ready=%v serving=%v terminating=%v, want %v %v %v",
					c.GetReady(), c.GetServing(), c.GetTerminating(), tc.ready, tc.serving, tc.terminating)
			}
		})
	}
}

// TestPodLifecycle steps one pod of three through not ready, ready,
// terminating and gone: each step is one update of the one slice, and the
// last pod going leaves an empty placeholder.
func TestPodLifecycle(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, "a", "b", "c")
	f.sync("default/web")
	f.expectWrites(1, 0, 0)
	name := f.slicesOf("web")[0].GetMetadata().GetName()

	cond := func(pod string) *gantryv1.EndpointConditions {
		for _, ep := range f.slicesOf("web")[0].GetEndpoints() {
			if ep.GetTargetRef().GetName() == pod {
				return ep.GetConditions()
			}
		}
		return nil
	}
	steps := []struct {
		name   string
		change func()
		check  func() error
	}{
		{"unready", func() { f.mutatePod("a", setReady("False")) }, func() error {
			if c := cond("a"); c.GetReady() || c.GetServing() {
				return fmt.Errorf("a: %v, want not ready, not serving", c)
			}
			return nil
		}},
		{"ready again", func() { f.mutatePod("a", setReady("True")) }, func() error {
			if c := cond("a"); !c.GetReady() || !c.GetServing() {
				return fmt.Errorf("a: %v, want ready", c)
			}
			return nil
		}},
		{"terminating", func() {
			f.mutatePod("b", func(p *gantryv1.Pod) { p.Metadata.DeletionTimestamp = timestamppb.New(f.w.Clock.Now()) })
		}, func() error {
			if c := cond("b"); c.GetReady() || !c.GetServing() || !c.GetTerminating() {
				return fmt.Errorf("b: %v, want terminating, serving, not ready", c)
			}
			return nil
		}},
		{"deleted", func() { f.deletePods("b") }, func() error {
			if got := podNames(f.slicesOf("web")[0]); !slices.Equal(got, []string{"a", "c"}) {
				return fmt.Errorf("endpoints %v, want a c", got)
			}
			return nil
		}},
		{"all gone", func() { f.deletePods("a", "c") }, func() error {
			s := f.slicesOf("web")[0]
			if len(s.GetEndpoints()) != 0 || len(s.GetPorts()) != 0 {
				return fmt.Errorf("placeholder %v, want no endpoints and no ports", s)
			}
			return nil
		}},
	}
	for _, st := range steps {
		st.change()
		f.sync("default/web")
		f.expectWrites(0, 1, 0)
		if err := st.check(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if ss := f.slicesOf("web"); len(ss) != 1 || ss[0].GetMetadata().GetName() != name {
			t.Fatalf("%s: slices %v, want only %s", st.name, ss, name)
		}
	}
	// The placeholder is kept as it is.
	f.sync("default/web")
	f.expectWrites(0, 0, 0)
	// A new pod goes into the placeholder.
	f.seedPods(podOpts{}, "d")
	f.sync("default/web")
	f.expectWrites(0, 1, 0)
	if s := f.slicesOf("web"); len(s) != 1 || !slices.Equal(podNames(s[0]), []string{"d"}) || portsString(s[0]) != "http/TCP/8080" {
		t.Fatalf("slices %v, want the placeholder holding d with the port", s)
	}
}

// TestNamedTargetPort resolves a port name per pod; pods that resolve it
// differently, or not at all, go into slices of their own port list.
func TestNamedTargetPort(t *testing.T) {
	f := newFixture(t)
	f.seedService(newService("web", map[string]string{"app": "web"}, svcPort("http", 80, "web"), svcPort("metrics", 9000, "9100")))
	f.seedPods(podOpts{ports: []*gantryv1.ContainerPort{{Name: "web", ContainerPort: 8080}}}, "a", "b")
	f.seedPods(podOpts{ports: []*gantryv1.ContainerPort{{Name: "web", ContainerPort: 9090, Protocol: "TCP"}}}, "c")
	f.seedPods(podOpts{ports: []*gantryv1.ContainerPort{{Name: "other", ContainerPort: 8080}}}, "d")
	// Same name, other protocol: not a match for a TCP service port.
	f.seedPods(podOpts{ports: []*gantryv1.ContainerPort{{Name: "web", ContainerPort: 7070, Protocol: "UDP"}}}, "e")
	f.sync("default/web")
	f.expectWrites(3, 0, 0)
	got := map[string][]string{}
	for _, s := range f.slicesOf("web") {
		got[portsString(s)] = podNames(s)
	}
	want := map[string][]string{
		"http/TCP/8080,metrics/TCP/9100": {"a", "b"},
		"http/TCP/9090,metrics/TCP/9100": {"c"},
		"metrics/TCP/9100":               {"d", "e"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("slices by ports %v, want %v", got, want)
	}
	// c's container port changes to 8080: it moves to a's slice; its old
	// slice is left empty and deleted.
	f.w.Mutate(apimeta.KindPod, ns, "c", func(o *gantryv1.Object) {
		o.GetPod().Spec.Containers[0].Ports[0].ContainerPort = 8080
	})
	f.w.Sync()
	f.sync("default/web")
	f.expectWrites(0, 1, 1)
	if ss := f.slicesOf("web"); len(ss) != 2 {
		t.Fatalf("%d slices, want 2", len(ss))
	}
}

// TestServicePortChangeReusesSlices: a new targetPort moves every
// endpoint to a new port list; the old slices are rewritten in place, not
// deleted and created.
func TestServicePortChangeReusesSlices(t *testing.T) {
	f := newFixture(t)
	f.seedService(webService())
	f.seedPods(podOpts{}, names("p", 0, 150)...)
	f.sync("default/web")
	f.expectWrites(2, 0, 0)
	before := f.slicesOf("web")
	f.w.Mutate(apimeta.KindService, ns, "web", func(o *gantryv1.Object) {
		o.GetService().Spec.Ports[0].TargetPort = "9090"
	})
	f.w.Sync()
	f.sync("default/web")
	f.expectWrites(0, 2, 0)
	after := f.slicesOf("web")
	for i := range after {
		if after[i].GetMetadata().GetName() != before[i].GetMetadata().GetName() || portsString(after[i]) != "http/TCP/9090" {
			t.Fatalf("slice %d: %s %s, want %s with port 9090", i, after[i].GetMetadata().GetName(), portsString(after[i]), before[i].GetMetadata().GetName())
		}
	}
	if got := f.allPods("web", 100); len(got) != 150 {
		t.Fatalf("%d endpoints, want 150", len(got))
	}
}
