package admission

import (
	"errors"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// updCase builds an update case: old is base(), new is old changed by mut.
func updCase[T proto.Message](name string, base func() T, mut func(T), field, detail string) (wantCase, *gantryv1.Object) {
	old := base()
	n := proto.Clone(old).(T)
	mut(n)
	return wantCase{name: name, obj: apimeta.Wrap(n), field: field, detail: detail}, apimeta.Wrap(old)
}

type updateCase struct {
	wantCase
	old      *gantryv1.Object
	sentinel error
}

func upd[T proto.Message](name string, base func() T, mut func(T), field, detail string) updateCase {
	c, old := updCase(name, base, mut, field, detail)
	return updateCase{wantCase: c, old: old, sentinel: ErrImmutable}
}

func runUpdate(t *testing.T, cases []updateCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkErr(t, ValidateUpdate(c.obj, c.old), c.sentinel, c.wantCase)
		})
	}
}

func boundPod() *gantryv1.Pod {
	p := validPod()
	p.Spec.NodeName = "node-1"
	p.Spec.ActiveDeadlineSeconds = i64(100)
	p.Spec.Tolerations = []*gantryv1.Toleration{{Key: "a", Operator: "Exists"}}
	return p
}

func TestValidateUpdatePod(t *testing.T) {
	unbound := validPod
	runUpdate(t, []updateCase{
		upd("no change", boundPod, func(*gantryv1.Pod) {}, "", ""),
		upd("labels may change", boundPod, func(p *gantryv1.Pod) { p.Metadata.Labels = map[string]string{"a": "b"} }, "", ""),
		upd("uid and creationTimestamp are not checked", boundPod, func(p *gantryv1.Pod) {
			p.Metadata.Uid, p.Metadata.CreationTimestamp = "other", timestamppb.Now()
		}, "", ""),
		upd("image may change", boundPod, func(p *gantryv1.Pod) { p.Spec.Containers[0].Image = "nginx:1.28" }, "", ""),
		upd("binding", unbound, func(p *gantryv1.Pod) { p.Spec.NodeName = "node-2" }, "", ""),
		upd("rebinding", boundPod, func(p *gantryv1.Pod) { p.Spec.NodeName = "node-2" },
			"spec.nodeName", `already bound to node "node-1"`),
		upd("unbinding", boundPod, func(p *gantryv1.Pod) { p.Spec.NodeName = "" },
			"spec.nodeName", "may not change once set"),
		upd("deadline shortened", boundPod, func(p *gantryv1.Pod) { p.Spec.ActiveDeadlineSeconds = i64(50) }, "", ""),
		upd("deadline added", unbound, func(p *gantryv1.Pod) { p.Spec.ActiveDeadlineSeconds = i64(50) }, "", ""),
		upd("deadline extended", boundPod, func(p *gantryv1.Pod) { p.Spec.ActiveDeadlineSeconds = i64(500) },
			"spec.activeDeadlineSeconds", "must be less than or equal to previous value"),
		upd("deadline removed", boundPod, func(p *gantryv1.Pod) { p.Spec.ActiveDeadlineSeconds = nil },
			"spec.activeDeadlineSeconds", "must not be removed once set"),
		upd("toleration added", boundPod, func(p *gantryv1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, &gantryv1.Toleration{Key: "b", Operator: "Exists"})
		}, "", ""),
		upd("toleration removed", boundPod, func(p *gantryv1.Pod) { p.Spec.Tolerations = nil },
			"spec.tolerations[0]", "only additions are allowed"),
		upd("toleration changed", boundPod, func(p *gantryv1.Pod) { p.Spec.Tolerations[0].Key = "z" },
			"spec.tolerations[0]", "only additions are allowed"),
		upd("container port changed", boundPod, func(p *gantryv1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 9090 },
			"spec", "pod updates may not change fields other than"),
		upd("container added", boundPod, func(p *gantryv1.Pod) {
			c := container()
			c.Name = "two"
			p.Spec.Containers = append(p.Spec.Containers, c)
		}, "spec", "pod updates may not change fields other than"),
		upd("restart policy changed", boundPod, func(p *gantryv1.Pod) { p.Spec.RestartPolicy = "Never" },
			"spec", "pod updates may not change fields other than"),
		upd("name changed", boundPod, func(p *gantryv1.Pod) { p.Metadata.Name = "other" }, "metadata.name", "field is immutable"),
		upd("namespace changed", boundPod, func(p *gantryv1.Pod) { p.Metadata.Namespace = "other" },
			"metadata.namespace", "field is immutable"),
		upd("finalizer added while deleting", func() *gantryv1.Pod {
			p := boundPod()
			p.Metadata.DeletionTimestamp = timestamppb.Now()
			return p
		}, func(p *gantryv1.Pod) { p.Metadata.Finalizers = []string{"example.com/x"} }, "metadata.finalizers", "no new finalizers"),
	})
}

func TestValidateUpdateOtherKinds(t *testing.T) {
	immutableCM := func() *gantryv1.ConfigMap {
		return &gantryv1.ConfigMap{Metadata: meta("cfg"), Data: map[string]string{"a": "1"}, Immutable: proto.Bool(true)}
	}
	secret := func(immutable bool) func() *gantryv1.Secret {
		return func() *gantryv1.Secret {
			return &gantryv1.Secret{Metadata: meta("s"), Type: "Opaque", Data: map[string][]byte{"a": []byte("1")}, Immutable: proto.Bool(immutable)}
		}
	}
	withIP := func() *gantryv1.Service {
		s := validService()
		s.Spec.ClusterIp = "10.96.0.10"
		return s
	}
	runUpdate(t, []updateCase{
		upd("deployment scaled", validDeployment, func(d *gantryv1.Deployment) { d.Spec.Replicas = i32(5) }, "", ""),
		upd("deployment selector changed", validDeployment, func(d *gantryv1.Deployment) {
			d.Spec.Selector.MatchLabels["tier"] = "front"
		}, "spec.selector", "field is immutable"),
		upd("replicaset selector changed", validReplicaSet, func(r *gantryv1.ReplicaSet) {
			r.Spec.Selector = &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{{Key: "app", Operator: "Exists"}}}
		}, "spec.selector", "field is immutable"),
		upd("replicaset template changed", validReplicaSet, func(r *gantryv1.ReplicaSet) {
			r.Spec.Template.Spec.Containers[0].Image = "x"
		}, "", ""),
		upd("service ports changed", withIP, func(s *gantryv1.Service) { s.Spec.Ports[0].Port = 81 }, "", ""),
		upd("service clusterIP allocated", validService, func(s *gantryv1.Service) { s.Spec.ClusterIp = "10.96.0.11" }, "", ""),
		upd("service clusterIP changed", withIP, func(s *gantryv1.Service) { s.Spec.ClusterIp = "10.96.0.11" },
			"spec.clusterIP", "field is immutable"),
		upd("service clusterIP cleared", withIP, func(s *gantryv1.Service) { s.Spec.ClusterIp = "" },
			"spec.clusterIP", "field is immutable"),
		upd("mutable configmap changed", func() *gantryv1.ConfigMap {
			c := immutableCM()
			c.Immutable = nil
			return c
		}, func(c *gantryv1.ConfigMap) { c.Data["a"] = "2" }, "", ""),
		upd("immutable configmap labels changed", immutableCM, func(c *gantryv1.ConfigMap) { c.Metadata.Labels = map[string]string{"x": "y"} }, "", ""),
		upd("immutable configmap data changed", immutableCM, func(c *gantryv1.ConfigMap) { c.Data["a"] = "2" },
			"data", "field is immutable when `immutable` is set"),
		upd("immutable configmap binaryData added", immutableCM, func(c *gantryv1.ConfigMap) { c.BinaryData = map[string][]byte{"b": {1}} },
			"binaryData", "field is immutable when `immutable` is set"),
		upd("immutable configmap made mutable", immutableCM, func(c *gantryv1.ConfigMap) { c.Immutable = proto.Bool(false) },
			"immutable", "field is immutable when `immutable` is set"),
		upd("immutable secret same data via stringData", secret(true), func(s *gantryv1.Secret) {
			s.Data, s.StringData = nil, map[string]string{"a": "1"}
		}, "", ""),
		upd("immutable secret data changed", secret(true), func(s *gantryv1.Secret) { s.StringData = map[string]string{"a": "2"} },
			"data", "field is immutable when `immutable` is set"),
		upd("secret data changed", secret(false), func(s *gantryv1.Secret) { s.Data["a"] = []byte("2") }, "", ""),
		upd("secret type changed", secret(false), func(s *gantryv1.Secret) { s.Type = "example.com/other" }, "type", "field is immutable"),
		upd("node podCIDR set", func() *gantryv1.Node {
			n := validNode()
			n.Spec.PodCidr, n.Spec.PodCidrs = "", nil
			return n
		}, func(n *gantryv1.Node) { n.Spec.PodCidr = "10.0.0.0/24" }, "", ""),
		upd("node podCIDR changed", validNode, func(n *gantryv1.Node) { n.Spec.PodCidr, n.Spec.PodCidrs = "10.0.9.0/24", nil },
			"spec.podCIDR", "may not change podCIDR"),
		upd("node unschedulable", validNode, func(n *gantryv1.Node) { n.Spec.Unschedulable = true }, "", ""),
		upd("endpointslice endpoints changed", validEndpointSlice, func(e *gantryv1.EndpointSlice) {
			e.Endpoints[0].Addresses[0] = "10.1.0.6"
		}, "", ""),
		upd("endpointslice addressType changed", validEndpointSlice, func(e *gantryv1.EndpointSlice) {
			e.AddressType, e.Endpoints[0].Addresses[0] = "IPv6", "fd00::1"
		}, "addressType", "field is immutable"),
	})
}

func TestValidateUpdateErrorKinds(t *testing.T) {
	// Broken rules and immutable fields together: ErrInvalid wins, and the
	// message still lists both.
	c := upd("both", validDeployment, func(d *gantryv1.Deployment) {
		d.Spec.Replicas = i32(-1)
		d.Spec.Selector.MatchLabels["x"] = "y"
	}, "spec.replicas", "must be greater than or equal to 0")
	err := ValidateUpdate(c.obj, c.old)
	checkErr(t, err, ErrInvalid, c.wantCase)
	if errors.Is(err, ErrImmutable) {
		t.Fatal("error wraps both sentinels")
	}
	if !containsField(FieldErrors(err), "spec.selector") {
		t.Fatalf("immutable selector not reported alongside: %v", err)
	}

	kindChange := wantCase{obj: apimeta.Wrap(validPod()), field: "kind", detail: "may not change from Service"}
	checkErr(t, ValidateUpdate(kindChange.obj, apimeta.Wrap(validService())), ErrInvalid, kindChange)

	// Without an old object ValidateUpdate is Validate.
	bad := wantCase{obj: apimeta.Wrap(&gantryv1.Pod{Metadata: meta("x")}), field: "spec.containers", detail: "Required value"}
	checkErr(t, ValidateUpdate(bad.obj, nil), ErrInvalid, bad)
	if err := ValidateUpdate(apimeta.Wrap(validPod()), nil); err != nil {
		t.Fatalf("valid pod with nil old: %v", err)
	}
}

func containsField(errs field.ErrorList, f string) bool {
	for _, e := range errs {
		if e.Field == f {
			return true
		}
	}
	return false
}
