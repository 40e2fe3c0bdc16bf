package admission

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func i32(v int32) *int32 { return &v }
func i64(v int64) *int64 { return &v }

func meta(name string) *gantryv1.ObjectMeta {
	return &gantryv1.ObjectMeta{Name: name, Namespace: "default"}
}

func container() *gantryv1.Container {
	return &gantryv1.Container{
		Name:  "web",
		Image: "nginx:1.27",
		Ports: []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: "TCP"}},
		Env:   []*gantryv1.EnvVar{{Name: "MODE", Value: "prod"}},
		Resources: &gantryv1.ResourceRequirements{
			Requests: map[string]string{"cpu": "100m", "memory": "64Mi"},
			Limits:   map[string]string{"cpu": "500m", "memory": "128Mi"},
		},
		ReadinessProbe: &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: "/healthz", Port: "http"}},
		LivenessProbe:  &gantryv1.Probe{TcpSocket: &gantryv1.TCPSocketAction{Port: "8080"}},
	}
}

func podSpec() *gantryv1.PodSpec {
	return &gantryv1.PodSpec{Containers: []*gantryv1.Container{container()}}
}

func validPod() *gantryv1.Pod {
	return &gantryv1.Pod{Metadata: meta("web-0"), Spec: podSpec()}
}

func template() *gantryv1.PodTemplateSpec {
	return &gantryv1.PodTemplateSpec{
		Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "front"}},
		Spec:     podSpec(),
	}
}

func webSelector() *gantryv1.LabelSelector {
	return &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
}

func validReplicaSet() *gantryv1.ReplicaSet {
	return &gantryv1.ReplicaSet{Metadata: meta("web"), Spec: &gantryv1.ReplicaSetSpec{
		Replicas: i32(3), Selector: webSelector(), Template: template(),
	}}
}

func validDeployment() *gantryv1.Deployment {
	return &gantryv1.Deployment{Metadata: meta("web"), Spec: &gantryv1.DeploymentSpec{
		Replicas: i32(3), Selector: webSelector(), Template: template(),
		Strategy: &gantryv1.DeploymentStrategy{Type: "RollingUpdate",
			RollingUpdate: &gantryv1.RollingUpdateDeployment{MaxSurge: "25%", MaxUnavailable: "1"}},
	}}
}

func validService() *gantryv1.Service {
	return &gantryv1.Service{Metadata: meta("web"), Spec: &gantryv1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []*gantryv1.ServicePort{{Name: "http", Port: 80, TargetPort: "http", Protocol: "TCP"}},
	}}
}

func validEndpointSlice() *gantryv1.EndpointSlice {
	return &gantryv1.EndpointSlice{Metadata: meta("web-abc"), AddressType: "IPv4",
		Endpoints: []*gantryv1.Endpoint{{Addresses: []string{"10.1.0.5"}, Hostname: "web-0"}},
		Ports:     []*gantryv1.EndpointPort{{Name: proto.String("http"), Port: proto.Int32(8080), Protocol: proto.String("TCP")}},
	}
}

func validNode() *gantryv1.Node {
	return &gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: "node-1.example"}, Spec: &gantryv1.NodeSpec{
		PodCidr: "10.244.1.0/24", PodCidrs: []string{"10.244.1.0/24"},
		Taints: []*gantryv1.Taint{{Key: "dedicated", Value: "db", Effect: "NoSchedule"}},
	}}
}

func validEvent() *gantryv1.Event {
	return &gantryv1.Event{Metadata: meta("web-0.17a"), Reason: "Scheduled", Type: "Normal", Count: 1,
		InvolvedObject: &gantryv1.ObjectReference{Kind: "Pod", Name: "web-0", Namespace: "default"}}
}

// wantCase is one expectation: field == "" means the object is valid;
// otherwise some violation must be reported on exactly that field path
// with a message containing detail.
type wantCase struct {
	name   string
	obj    *gantryv1.Object
	field  string
	detail string
}

// checkErr asserts err against a case and that every reported path is a
// real protojson path of the object's kind.
func checkErr(t *testing.T, err error, sentinel error, c wantCase) {
	t.Helper()
	if c.field == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("want error wrapping %v on %s, got %v", sentinel, c.field, err)
	}
	if !strings.Contains(err.Error(), c.field) {
		t.Fatalf("error message %q does not name %s", err, c.field)
	}
	found := false
	for _, fe := range FieldErrors(err) {
		checkJSONPath(t, c.obj, fe.Field)
		if fe.Field == c.field && strings.Contains(fe.Error(), c.detail) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no violation on %s containing %q; got %v", c.field, c.detail, err)
	}
}

var bracketed = regexp.MustCompile(`\[[^\]]*\]`)

// checkJSONPath walks a field path through the kind's descriptor by JSON
// name, so a typo such as "spec.podCidr" fails the test.
func checkJSONPath(t *testing.T, o *gantryv1.Object, path string) {
	t.Helper()
	info := apimeta.InfoOf(o)
	if info == nil || path == "kind" {
		return
	}
	md := info.Field.Message()
	for _, seg := range strings.Split(bracketed.ReplaceAllString(path, ""), ".") {
		if md == nil {
			t.Fatalf("path %q goes below a scalar or map at %q", path, seg)
		}
		fd := jsonField(md, seg)
		if fd == nil {
			t.Fatalf("path %q: %s has no JSON field %q", path, md.FullName(), seg)
		}
		md = nil
		if fd.Message() != nil && !fd.IsMap() {
			md = fd.Message()
		}
	}
}

func jsonField(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		if fields.Get(i).JSONName() == name {
			return fields.Get(i)
		}
	}
	return nil
}

// mk builds a case from a fresh valid object changed by mut.
func mk[T proto.Message](name string, base func() T, mut func(T), field, detail string) wantCase {
	m := base()
	if mut != nil {
		mut(m)
	}
	return wantCase{name: name, obj: apimeta.Wrap(m), field: field, detail: detail}
}

func runValidate(t *testing.T, cases []wantCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkErr(t, Validate(c.obj), ErrInvalid, c)
		})
	}
}
