package admission

import (
	"errors"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

func seedObjects() []*gantryv1.Object {
	objs := []*gantryv1.Object{
		apimeta.Wrap(validPod()), apimeta.Wrap(boundPod()), apimeta.Wrap(validReplicaSet()),
		apimeta.Wrap(validDeployment()), apimeta.Wrap(validService()), apimeta.Wrap(validEndpointSlice()),
		apimeta.Wrap(validNode()), apimeta.Wrap(validEvent()), apimeta.Wrap(validIngress()),
		apimeta.Wrap(&gantryv1.ConfigMap{Metadata: meta("c"), Data: map[string]string{"a": "b"}, Immutable: proto.Bool(true)}),
		apimeta.Wrap(&gantryv1.Secret{Metadata: meta("s"), StringData: map[string]string{"a": "b"}}),
		apimeta.Wrap(&gantryv1.Lease{Metadata: meta("l"), Spec: &gantryv1.LeaseSpec{LeaseDurationSeconds: 10}}),
		apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "n"}}),
	}
	return objs
}

// FuzzValidate feeds arbitrary decoded objects through every entry point:
// none may panic, and every error must carry a sentinel and field errors.
func FuzzValidate(f *testing.F) {
	objs := seedObjects()
	for i, o := range objs {
		a, _ := proto.Marshal(o)
		b, _ := proto.Marshal(objs[(i+1)%len(objs)])
		f.Add(a, a)
		f.Add(a, b)
	}
	f.Add([]byte{}, []byte{0x1a, 0x00})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		n, o := &gantryv1.Object{}, &gantryv1.Object{}
		if proto.Unmarshal(a, n) != nil || proto.Unmarshal(b, o) != nil {
			return
		}
		checkFuzzErr(t, Validate(n))
		checkFuzzErr(t, ValidateStatus(n))
		checkFuzzErr(t, ValidateUpdate(n, o))
		checkFuzzErr(t, ValidateUpdate(n, n))
		Default(n)
		checkFuzzErr(t, Validate(n))
		again := proto.Clone(n).(*gantryv1.Object)
		Default(again)
		if !proto.Equal(n, again) {
			t.Fatal("Default is not idempotent")
		}
	})
}

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrImmutable) {
		t.Fatalf("error without sentinel: %v", err)
	}
	if len(FieldErrors(err)) == 0 || err.Error() == "" {
		t.Fatalf("error without field errors: %v", err)
	}
}

// TestNilElements: hand-built objects can hold nil messages anywhere,
// including inside lists, which decoding never produces.
func TestNilElements(t *testing.T) {
	objs := []*gantryv1.Object{
		{Kind: &gantryv1.Object_Pod{}},
		apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{OwnerReferences: []*gantryv1.OwnerReference{nil}},
			Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{nil, {Ports: []*gantryv1.ContainerPort{nil},
				Env: []*gantryv1.EnvVar{nil}, LivenessProbe: &gantryv1.Probe{}}}, Tolerations: []*gantryv1.Toleration{nil}},
			Status: &gantryv1.PodStatus{Conditions: []*gantryv1.Condition{nil}, ContainerStatuses: []*gantryv1.ContainerStatus{nil},
				PodIps: []*gantryv1.PodIP{nil}}}),
		apimeta.Wrap(&gantryv1.Deployment{Spec: &gantryv1.DeploymentSpec{Selector: &gantryv1.LabelSelector{
			MatchExpressions: []*gantryv1.LabelSelectorRequirement{nil}}, Template: &gantryv1.PodTemplateSpec{},
			Strategy: &gantryv1.DeploymentStrategy{RollingUpdate: &gantryv1.RollingUpdateDeployment{}}}}),
		apimeta.Wrap(&gantryv1.Service{Spec: &gantryv1.ServiceSpec{Ports: []*gantryv1.ServicePort{nil, nil}}}),
		apimeta.Wrap(&gantryv1.EndpointSlice{Endpoints: []*gantryv1.Endpoint{nil}, Ports: []*gantryv1.EndpointPort{nil}}),
		apimeta.Wrap(&gantryv1.Node{Spec: &gantryv1.NodeSpec{Taints: []*gantryv1.Taint{nil}},
			Status: &gantryv1.NodeStatus{Addresses: []*gantryv1.NodeAddress{nil}, Conditions: []*gantryv1.Condition{nil}}}),
		apimeta.Wrap(&gantryv1.Event{}),
	}
	for _, o := range objs {
		for _, old := range objs {
			checkFuzzErr(t, ValidateUpdate(o, old))
		}
		checkFuzzErr(t, Validate(o))
		checkFuzzErr(t, ValidateStatus(o))
		Default(o)
		checkFuzzErr(t, Validate(o))
	}
}
