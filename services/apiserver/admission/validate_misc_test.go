package admission

import (
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
)

func TestValidateConfigMapAndSecret(t *testing.T) {
	cm := func(data map[string]string, bin map[string][]byte) func() *gantryv1.ConfigMap {
		return func() *gantryv1.ConfigMap {
			return &gantryv1.ConfigMap{Metadata: meta("cfg"), Data: data, BinaryData: bin}
		}
	}
	sec := func(typ string, data map[string][]byte, str map[string]string) func() *gantryv1.Secret {
		return func() *gantryv1.Secret {
			return &gantryv1.Secret{Metadata: meta("creds"), Type: typ, Data: data, StringData: str}
		}
	}
	half := strings.Repeat("x", 600<<10)
	runValidate(t, []wantCase{
		mk("configmap", cm(map[string]string{"app.yaml": "a: 1", "KEY_1": "v", "-x": ""}, map[string][]byte{"logo.png": {1}}), nil, "", ""),
		mk("configmap bad key", cm(map[string]string{"a/b": "x"}, nil), nil, "data[a/b]", "a valid config key"),
		mk("configmap dot-dot key", cm(map[string]string{"..": "x"}, nil), nil, "data[..]", "must not be '..'"),
		mk("configmap bad binary key", cm(nil, map[string][]byte{"a b": nil}), nil, "binaryData[a b]", "a valid config key"),
		mk("configmap key in both", cm(map[string]string{"k": "x"}, map[string][]byte{"k": nil}), nil, "binaryData[k]", "Duplicate value"),
		mk("configmap just under 1 MiB", cm(map[string]string{"a": half[:300<<10], "b": half}, nil), nil, "", ""),
		mk("configmap over 1 MiB", cm(map[string]string{"a": half, "b": half}, nil), nil, "data", "Too long: may not be more than 1048576 bytes"),
		mk("secret", sec("Opaque", map[string][]byte{"password": []byte("x")}, map[string]string{"user": "u"}), nil, "", ""),
		mk("secret bad key", sec("", map[string][]byte{"pass word": nil}, nil), nil, "data[pass word]", "a valid config key"),
		mk("secret bad stringData key", sec("", nil, map[string]string{"a:b": ""}), nil, "stringData[a:b]", "a valid config key"),
		mk("secret over 1 MiB", sec("", map[string][]byte{"a": []byte(half)}, map[string]string{"b": half}), nil, "data", "Too long"),
		mk("tls secret", sec("kubernetes.io/tls", map[string][]byte{"tls.crt": nil}, map[string]string{"tls.key": "k"}), nil, "", ""),
		mk("tls secret without key", sec("kubernetes.io/tls", map[string][]byte{"tls.crt": nil}, nil), nil, "data[tls.key]", "Required value"),
		mk("basic-auth secret empty", sec("kubernetes.io/basic-auth", nil, nil), nil, "data", "must have at least one key"),
	})
}

func TestValidateClusterKinds(t *testing.T) {
	node := func(mut func(*gantryv1.NodeSpec)) func(*gantryv1.Node) {
		return func(n *gantryv1.Node) { mut(n.Spec) }
	}
	taint := func(ts ...*gantryv1.Taint) func(*gantryv1.Node) {
		return node(func(s *gantryv1.NodeSpec) { s.Taints = ts })
	}
	ns := func(fin ...string) func() *gantryv1.Namespace {
		return func() *gantryv1.Namespace {
			return &gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "team"}, Spec: &gantryv1.NamespaceSpec{Finalizers: fin}}
		}
	}
	lease := func(dur, transitions int32) func() *gantryv1.Lease {
		return func() *gantryv1.Lease {
			return &gantryv1.Lease{Metadata: meta("node-1"), Spec: &gantryv1.LeaseSpec{
				HolderIdentity: "node-1", LeaseDurationSeconds: dur, LeaseTransitions: transitions}}
		}
	}
	runValidate(t, []wantCase{
		mk("node", validNode, nil, "", ""),
		mk("node name uppercase", validNode, func(n *gantryv1.Node) { n.Metadata.Name = "Node1" }, "metadata.name", "RFC 1123 subdomain"),
		mk("podCIDR bad", validNode, node(func(s *gantryv1.NodeSpec) { s.PodCidr, s.PodCidrs = "10.244.1.0", nil }),
			"spec.podCIDR", "must be a valid CIDR value"),
		mk("podCIDRs bad", validNode, node(func(s *gantryv1.NodeSpec) { s.PodCidr, s.PodCidrs = "", []string{"x"} }),
			"spec.podCIDRs[0]", "must be a valid CIDR value"),
		mk("podCIDRs[0] differs", validNode, node(func(s *gantryv1.NodeSpec) { s.PodCidrs = []string{"10.0.0.0/24"} }),
			"spec.podCIDRs[0]", "must match podCIDR"),
		mk("taint without effect", validNode, taint(&gantryv1.Taint{Key: "k"}), "spec.taints[0].effect", "Required value"),
		mk("taint bad effect", validNode, taint(&gantryv1.Taint{Key: "k", Effect: "Repel"}),
			"spec.taints[0].effect", `Unsupported value: "Repel"`),
		mk("taint without key", validNode, taint(&gantryv1.Taint{Effect: "NoSchedule"}), "spec.taints[0].key", "Required value"),
		mk("taint bad value", validNode, taint(&gantryv1.Taint{Key: "k", Value: "a b", Effect: "NoSchedule"}),
			"spec.taints[0].value", "a valid label"),
		mk("taints same key different effects", validNode, taint(&gantryv1.Taint{Key: "k", Effect: "NoSchedule"},
			&gantryv1.Taint{Key: "k", Effect: "NoExecute"}), "", ""),
		mk("duplicate taint", validNode, taint(&gantryv1.Taint{Key: "k", Effect: "NoSchedule"},
			&gantryv1.Taint{Key: "k", Value: "v", Effect: "NoSchedule"}), "spec.taints[1]", "taints must be unique by key and effect pair"),
		mk("namespace finalizer", ns("kubernetes"), nil, "", ""),
		mk("namespace bad finalizer", ns("a b"), nil, "spec.finalizers[0]", "name part must consist"),
		mk("lease", lease(15, 2), nil, "", ""),
		mk("lease negative duration", lease(-1, 0), nil, "spec.leaseDurationSeconds", "must be greater than or equal to 0"),
		mk("lease negative transitions", lease(10, -1), nil, "spec.leaseTransitions", "must be greater than or equal to 0"),
	})
}

func TestValidateEvent(t *testing.T) {
	ev := func(mut func(*gantryv1.Event)) func(*gantryv1.Event) { return mut }
	runValidate(t, []wantCase{
		mk("event", validEvent, nil, "", ""),
		mk("event about a node", validEvent, ev(func(e *gantryv1.Event) {
			e.InvolvedObject = &gantryv1.ObjectReference{Kind: "Node", Name: "node-1"}
		}), "", ""),
		mk("no involved name", validEvent, ev(func(e *gantryv1.Event) { e.InvolvedObject.Name = "" }),
			"involvedObject.name", "Required value"),
		mk("no involved kind", validEvent, ev(func(e *gantryv1.Event) { e.InvolvedObject.Kind = "" }),
			"involvedObject.kind", "Required value"),
		mk("no involved object", validEvent, ev(func(e *gantryv1.Event) { e.InvolvedObject = nil }),
			"involvedObject.kind", "Required value"),
		mk("other namespace", validEvent, ev(func(e *gantryv1.Event) { e.InvolvedObject.Namespace = "kube-system" }),
			"involvedObject.namespace", "does not match event.namespace"),
		mk("bad type", validEvent, ev(func(e *gantryv1.Event) { e.Type = "Error" }), "type", `Unsupported value: "Error"`),
		mk("negative count", validEvent, ev(func(e *gantryv1.Event) { e.Count = -1 }), "count", "must be greater than or equal to 0"),
	})
}

func TestValidateEndpointSlice(t *testing.T) {
	es := func(mut func(*gantryv1.EndpointSlice)) func(*gantryv1.EndpointSlice) { return mut }
	addrs := func(typ string, a ...string) func(*gantryv1.EndpointSlice) {
		return func(e *gantryv1.EndpointSlice) {
			e.AddressType = typ
			e.Endpoints = []*gantryv1.Endpoint{{Addresses: a}}
		}
	}
	many := make([]*gantryv1.Endpoint, 1001)
	for i := range many {
		many[i] = &gantryv1.Endpoint{Addresses: []string{"10.0.0.1"}}
	}
	runValidate(t, []wantCase{
		mk("slice", validEndpointSlice, nil, "", ""),
		mk("ipv6", validEndpointSlice, addrs("IPv6", "fd00::5"), "", ""),
		mk("fqdn", validEndpointSlice, addrs("FQDN", "db.example.com"), "", ""),
		mk("bad type", validEndpointSlice, addrs("IPX", "1"), "addressType", `Unsupported value: "IPX"`),
		mk("ipv4 given ipv6", validEndpointSlice, addrs("IPv4", "fd00::5"), "endpoints[0].addresses[0]", "must be an IPv4 address"),
		mk("ipv6 given ipv4", validEndpointSlice, addrs("IPv6", "10.0.0.1"), "endpoints[0].addresses[0]", "must be an IPv6 address"),
		mk("not an ip", validEndpointSlice, addrs("IPv4", "web"), "endpoints[0].addresses[0]", "must be a valid IP address"),
		mk("bad fqdn", validEndpointSlice, addrs("FQDN", "Not A Name"), "endpoints[0].addresses[0]", "RFC 1123 subdomain"),
		mk("no addresses", validEndpointSlice, addrs("IPv4"), "endpoints[0].addresses", "must contain at least 1 address"),
		mk("1000 endpoints", validEndpointSlice, es(func(e *gantryv1.EndpointSlice) { e.Endpoints = many[:1000] }), "", ""),
		mk("1001 endpoints", validEndpointSlice, es(func(e *gantryv1.EndpointSlice) { e.Endpoints = many }),
			"endpoints", "must have at most 1000 items"),
		mk("bad hostname", validEndpointSlice, es(func(e *gantryv1.EndpointSlice) { e.Endpoints[0].Hostname = "a.b" }),
			"endpoints[0].hostname", "must not contain dots"),
		mk("bad node name", validEndpointSlice, es(func(e *gantryv1.EndpointSlice) { e.Endpoints[0].NodeName = proto.String("N_1") }),
			"endpoints[0].nodeName", "RFC 1123 subdomain"),
		mk("bad port", validEndpointSlice, es(func(e *gantryv1.EndpointSlice) { e.Ports[0].Port = proto.Int32(0) }),
			"ports[0].port", "must be between 1 and 65535"),
		mk("bad port protocol", validEndpointSlice, es(func(e *gantryv1.EndpointSlice) { e.Ports[0].Protocol = proto.String("tcp") }),
			"ports[0].protocol", "Unsupported value"),
		mk("duplicate port name", validEndpointSlice, es(func(e *gantryv1.EndpointSlice) {
			e.Ports = append(e.Ports, &gantryv1.EndpointPort{Name: proto.String("http"), Port: proto.Int32(81)})
		}), "ports[1].name", "Duplicate value"),
	})
}
