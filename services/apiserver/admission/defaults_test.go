package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

func TestDefaultPod(t *testing.T) {
	p := &gantryv1.Pod{Metadata: meta("p"), Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{
		Name: "c", Image: "x",
		Ports:          []*gantryv1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, Protocol: "UDP"}},
		LivenessProbe:  &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Port: "80"}},
		ReadinessProbe: &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: []string{"true"}}, PeriodSeconds: 3, FailureThreshold: 7},
	}}}}
	o := apimeta.Wrap(p)
	Default(o)
	s := p.Spec
	if s.RestartPolicy != "Always" || s.SchedulerName != "default-scheduler" || s.GetTerminationGracePeriodSeconds() != 30 {
		t.Fatalf("pod spec defaults: %v", s)
	}
	c := s.Containers[0]
	if c.ImagePullPolicy != "IfNotPresent" || c.Ports[0].Protocol != "TCP" || c.Ports[1].Protocol != "UDP" {
		t.Fatalf("container defaults: %v", c)
	}
	lp := c.LivenessProbe
	if lp.TimeoutSeconds != 1 || lp.PeriodSeconds != 10 || lp.SuccessThreshold != 1 || lp.FailureThreshold != 3 ||
		lp.HttpGet.Scheme != "HTTP" || lp.HttpGet.Path != "/" {
		t.Fatalf("liveness probe defaults: %v", lp)
	}
	if rp := c.ReadinessProbe; rp.PeriodSeconds != 3 || rp.FailureThreshold != 7 || rp.TimeoutSeconds != 1 {
		t.Fatalf("readiness probe: set values overwritten or defaults missing: %v", rp)
	}
	if c.StartupProbe != nil {
		t.Fatal("Default invented a startup probe")
	}
	if err := Validate(o); err != nil {
		t.Fatalf("defaulted pod invalid: %v", err)
	}
	assertIdempotent(t, o)
}

func TestDefaultKeepsSetValues(t *testing.T) {
	p := &gantryv1.Pod{Spec: &gantryv1.PodSpec{RestartPolicy: "Never", SchedulerName: "mine", TerminationGracePeriodSeconds: i64(0)}}
	Default(apimeta.Wrap(p))
	if p.Spec.RestartPolicy != "Never" || p.Spec.SchedulerName != "mine" || p.Spec.GetTerminationGracePeriodSeconds() != 0 {
		t.Fatalf("Default overwrote set values: %v", p.Spec)
	}
}

func TestDefaultDeployment(t *testing.T) {
	d := validDeployment()
	d.Spec.Replicas, d.Spec.Strategy = nil, nil
	o := apimeta.Wrap(d)
	Default(o)
	s := d.Spec
	if s.GetReplicas() != 1 || s.GetRevisionHistoryLimit() != 10 || s.GetProgressDeadlineSeconds() != 600 {
		t.Fatalf("deployment defaults: %v", s)
	}
	if s.Strategy.GetType() != "RollingUpdate" || s.Strategy.GetRollingUpdate().GetMaxSurge() != "25%" ||
		s.Strategy.GetRollingUpdate().GetMaxUnavailable() != "25%" {
		t.Fatalf("strategy defaults: %v", s.Strategy)
	}
	if s.Template.Spec.RestartPolicy != "Always" || s.Template.Spec.Containers[0].Ports[0].Protocol != "TCP" {
		t.Fatal("template pod spec not defaulted")
	}
	if err := Validate(o); err != nil {
		t.Fatalf("defaulted deployment invalid: %v", err)
	}
	assertIdempotent(t, o)

	half := validDeployment()
	half.Spec.Strategy = &gantryv1.DeploymentStrategy{RollingUpdate: &gantryv1.RollingUpdateDeployment{MaxSurge: "0"}}
	Default(apimeta.Wrap(half))
	if ru := half.Spec.Strategy.RollingUpdate; ru.MaxSurge != "0" || ru.MaxUnavailable != "25%" {
		t.Fatalf("partial rolling update: %v", ru)
	}

	recreate := validDeployment()
	recreate.Spec.Strategy = &gantryv1.DeploymentStrategy{Type: "Recreate"}
	Default(apimeta.Wrap(recreate))
	if recreate.Spec.Strategy.RollingUpdate != nil {
		t.Fatal("Recreate got rollingUpdate, which Validate forbids")
	}
}

func TestDefaultReplicaSetAndNilSpecs(t *testing.T) {
	rs := &gantryv1.ReplicaSet{}
	Default(apimeta.Wrap(rs))
	if rs.Spec.GetReplicas() != 1 {
		t.Fatalf("replicas = %d", rs.Spec.GetReplicas())
	}
	d := &gantryv1.Deployment{}
	Default(apimeta.Wrap(d))
	if d.Spec.GetReplicas() != 1 || d.Spec.Template != nil {
		t.Fatalf("nil deployment spec: %v", d.Spec)
	}
	// Nothing at all: must not panic.
	Default(nil)
	Default(&gantryv1.Object{})
	Default(&gantryv1.Object{Kind: &gantryv1.Object_Pod{}})
	Default(apimeta.Wrap(&gantryv1.Pod{Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{nil}}}))
}

func TestDefaultService(t *testing.T) {
	s := &gantryv1.Service{Metadata: meta("web"), Spec: &gantryv1.ServiceSpec{Ports: []*gantryv1.ServicePort{
		{Name: "a", Port: 80}, {Name: "b", Port: 53, Protocol: "UDP", TargetPort: "dns"}, nil,
	}}}
	Default(apimeta.Wrap(s))
	sp := s.Spec
	if sp.Type != "ClusterIP" || sp.SessionAffinity != "None" {
		t.Fatalf("service defaults: %v", sp)
	}
	if sp.Ports[0].Protocol != "TCP" || sp.Ports[0].TargetPort != "80" || sp.Ports[1].TargetPort != "dns" || sp.Ports[1].Protocol != "UDP" {
		t.Fatalf("port defaults: %v", sp.Ports)
	}
}

func TestDefaultSecretNamespaceSlice(t *testing.T) {
	sec := &gantryv1.Secret{Data: map[string][]byte{"a": []byte("old"), "b": []byte("keep")}, StringData: map[string]string{"a": "new", "c": "x"}}
	Default(apimeta.Wrap(sec))
	if string(sec.Data["a"]) != "new" || string(sec.Data["b"]) != "keep" || string(sec.Data["c"]) != "x" || sec.StringData != nil {
		t.Fatalf("secret merge: data=%v stringData=%v", sec.Data, sec.StringData)
	}
	if sec.Type != "Opaque" {
		t.Fatalf("secret type = %q", sec.Type)
	}
	only := &gantryv1.Secret{StringData: map[string]string{"k": "v"}, Type: "kubernetes.io/basic-auth"}
	Default(apimeta.Wrap(only))
	if string(only.Data["k"]) != "v" || only.Type != "kubernetes.io/basic-auth" {
		t.Fatalf("stringData into nil data: %v", only)
	}

	ns := &gantryv1.Namespace{}
	Default(apimeta.Wrap(ns))
	if ns.GetStatus().GetPhase() != "Active" {
		t.Fatalf("namespace phase = %q", ns.GetStatus().GetPhase())
	}

	es := &gantryv1.EndpointSlice{Ports: []*gantryv1.EndpointPort{{Port: proto.Int32(80)}}}
	Default(apimeta.Wrap(es))
	if es.AddressType != "IPv4" || es.Ports[0].GetProtocol() != "TCP" {
		t.Fatalf("endpointslice defaults: %v", es)
	}
}

func assertIdempotent(t *testing.T, o *gantryv1.Object) {
	t.Helper()
	again := proto.Clone(o).(*gantryv1.Object)
	Default(again)
	if !proto.Equal(o, again) {
		t.Fatal("Default is not idempotent")
	}
}
