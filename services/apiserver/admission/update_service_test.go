package admission

import (
	"errors"
	"slices"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// storedNodePort is a NodePort Service as the store keeps it.
func storedNodePort() *gantryv1.Service {
	s := validService()
	s.Spec.Type, s.Spec.ClusterIp, s.Spec.ClusterIps = "NodePort", "10.96.7.7", []string{"10.96.7.7"}
	s.Spec.Ports = []*gantryv1.ServicePort{
		{Name: "http", Port: 80, Protocol: "TCP", TargetPort: "80", NodePort: 30080},
		{Name: "https", Port: 443, Protocol: "TCP", TargetPort: "443", NodePort: 30443},
	}
	return s
}

func nodePortsOf(s *gantryv1.Service) []int32 {
	var out []int32
	for _, p := range s.GetSpec().GetPorts() {
		out = append(out, p.GetNodePort())
	}
	return out
}

func TestDefaultUpdateService(t *testing.T) {
	cases := []struct {
		name      string
		mut       func(*gantryv1.Service)
		wantIP    string
		wantPorts []int32
		wantErr   string // a field ValidateUpdate must then name, or ""
	}{
		{"manifest applied again keeps allocations", func(s *gantryv1.Service) {
			s.Spec.ClusterIp, s.Spec.ClusterIps = "", nil
			s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort = 0, 0
		}, "10.96.7.7", []int32{30080, 30443}, ""},
		{"ports reordered keep theirs by name", func(s *gantryv1.Service) {
			s.Spec.ClusterIp, s.Spec.ClusterIps = "", nil
			s.Spec.Ports[0], s.Spec.Ports[1] = s.Spec.Ports[1], s.Spec.Ports[0]
			s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort = 0, 0
		}, "10.96.7.7", []int32{30443, 30080}, ""},
		{"a node port moved to another port is not patched twice", func(s *gantryv1.Service) {
			s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort = 30443, 0
		}, "10.96.7.7", []int32{30443, 0}, ""},
		{"new port is left for the store", func(s *gantryv1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, &gantryv1.ServicePort{Name: "admin", Port: 9000})
		}, "10.96.7.7", []int32{30080, 30443, 0}, ""},
		{"to ClusterIP releases untouched node ports", func(s *gantryv1.Service) {
			s.Spec.Type = "ClusterIP"
		}, "10.96.7.7", []int32{0, 0}, ""},
		{"to LoadBalancer keeps node ports", func(s *gantryv1.Service) {
			s.Spec.Type = "LoadBalancer"
			s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort = 0, 0
		}, "10.96.7.7", []int32{30080, 30443}, ""},
		{"to ClusterIP with a changed node port is refused", func(s *gantryv1.Service) {
			s.Spec.Type, s.Spec.Ports[0].NodePort = "ClusterIP", 30001
		}, "10.96.7.7", []int32{30001, 30443}, "spec.ports[0].nodePort"},
		{"cluster IP changed stays a change", func(s *gantryv1.Service) {
			s.Spec.ClusterIp, s.Spec.ClusterIps = "10.96.7.8", nil
		}, "10.96.7.8", []int32{30080, 30443}, "spec.clusterIP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := apimeta.Wrap(storedNodePort())
			n := storedNodePort()
			c.mut(n)
			obj := apimeta.Wrap(n)
			Default(obj)
			DefaultUpdate(obj, old)
			if n.Spec.ClusterIp != c.wantIP || !slices.Equal(nodePortsOf(n), c.wantPorts) {
				t.Fatalf("after DefaultUpdate: clusterIP %q nodePorts %v; want %q %v", n.Spec.ClusterIp, nodePortsOf(n), c.wantIP, c.wantPorts)
			}
			err := ValidateUpdate(obj, old)
			if c.wantErr == "" && err != nil {
				t.Fatalf("ValidateUpdate: %v", err)
			}
			if c.wantErr != "" {
				found := false
				for _, fe := range FieldErrors(err) {
					found = found || fe.Field == c.wantErr
				}
				if !found {
					t.Fatalf("ValidateUpdate = %v; want a violation on %s", err, c.wantErr)
				}
			}
		})
	}
}

// TestDefaultUpdateLeavesOldAlone: old is a stored object, shared with
// readers; patching the new one must not write through to it.
func TestDefaultUpdateLeavesOldAlone(t *testing.T) {
	oldSvc := storedNodePort()
	n := storedNodePort()
	n.Spec.ClusterIp, n.Spec.ClusterIps = "", nil
	DefaultUpdate(apimeta.Wrap(n), apimeta.Wrap(oldSvc))
	n.Spec.ClusterIps[0] = "changed"
	if oldSvc.Spec.ClusterIps[0] != "10.96.7.7" {
		t.Fatal("DefaultUpdate shared clusterIPs with the stored object")
	}
	// Other kinds and empty specs are left as they are.
	DefaultUpdate(apimeta.Wrap(validPod()), apimeta.Wrap(validPod()))
	DefaultUpdate(apimeta.Wrap(&gantryv1.Service{}), apimeta.Wrap(oldSvc))
	if err := ValidateUpdate(apimeta.Wrap(&gantryv1.Service{Metadata: meta("web")}), apimeta.Wrap(oldSvc)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty service update: %v", err)
	}
}

func TestDefaultServiceClusterIPs(t *testing.T) {
	s := validService()
	s.Spec.ClusterIps = []string{"10.96.0.10"}
	Default(apimeta.Wrap(s))
	if s.Spec.ClusterIp != "10.96.0.10" || s.Spec.Ports[0].TargetPort != "http" || s.Spec.Type != "ClusterIP" {
		t.Fatalf("defaults: clusterIP %q targetPort %q type %q", s.Spec.ClusterIp, s.Spec.Ports[0].TargetPort, s.Spec.Type)
	}
	s.Spec.Ports[0].TargetPort = ""
	Default(apimeta.Wrap(s))
	if s.Spec.Ports[0].TargetPort != "80" {
		t.Fatalf("targetPort defaults to %q, want the port", s.Spec.Ports[0].TargetPort)
	}
}
