package api_test

import (
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func serviceObj(name, typ, ip string, ports ...*gantryv1.ServicePort) *gantryv1.Object {
	if len(ports) == 0 {
		ports = []*gantryv1.ServicePort{{Name: "http", Port: 80}}
	}
	return apimeta.Wrap(&gantryv1.Service{Metadata: meta("default", name, nil),
		Spec: &gantryv1.ServiceSpec{Type: typ, ClusterIp: ip, Selector: map[string]string{"app": name}, Ports: ports}})
}

// wantRefused checks a call failed with code and a message naming field
// and saying what.
func wantRefused(t *testing.T, err error, code codes.Code, field, what string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), what) {
		t.Fatalf("got %v; want %v naming %s and saying %q", err, code, field, what)
	}
}

// TestServiceAddressesThroughAPI: the write path stamps the ranges,
// carries allocated values over updates that leave them out, and maps the
// store's verdicts to the right codes — through a follower, which
// forwards to the leader.
func TestServiceAddressesThroughAPI(t *testing.T) {
	c := newCluster(t)
	f := c.Followers()[0].Resource
	web, err := f.Create(ctxT(t), &gantryv1.CreateRequest{Object: serviceObj("web", "NodePort", "")})
	if err != nil {
		t.Fatal(err)
	}
	spec := web.GetObject().GetService().GetSpec()
	ip, np := spec.GetClusterIp(), spec.GetPorts()[0].GetNodePort()
	if !strings.HasPrefix(ip, "10.96.") || len(spec.GetClusterIps()) != 1 || spec.GetClusterIps()[0] != ip || np < 30000 || np > 32767 {
		t.Fatalf("web got clusterIP %q clusterIPs %v nodePort %d", ip, spec.GetClusterIps(), np)
	}
	if spec.GetType() != "NodePort" || spec.GetPorts()[0].GetProtocol() != "TCP" || spec.GetPorts()[0].GetTargetPort() != "80" {
		t.Fatalf("web was not defaulted: %v", spec)
	}

	_, err = f.Create(ctxT(t), &gantryv1.CreateRequest{Object: serviceObj("dup", "", ip)})
	wantRefused(t, err, codes.InvalidArgument, "spec.clusterIP", "provided IP is already allocated")
	_, err = f.Create(ctxT(t), &gantryv1.CreateRequest{Object: serviceObj("dup", "NodePort", "", &gantryv1.ServicePort{Port: 80, NodePort: np})})
	wantRefused(t, err, codes.InvalidArgument, "spec.ports[0].nodePort", "provided port is already allocated")
	_, err = f.Create(ctxT(t), &gantryv1.CreateRequest{Object: serviceObj("far", "", "192.168.0.1")})
	wantRefused(t, err, codes.InvalidArgument, "spec.clusterIP", "The range of valid IPs is 10.96.0.0/16")
	_, err = f.Create(ctxT(t), &gantryv1.CreateRequest{Object: serviceObj("sctp", "", "", &gantryv1.ServicePort{Port: 80, Protocol: "SCTP"})})
	wantRefused(t, err, codes.InvalidArgument, "spec.ports[0].protocol", `Unsupported value: "SCTP"`)

	// A manifest applied again, without the allocated values, keeps them.
	again := serviceObj("web", "NodePort", "")
	apimeta.Meta(again).ResourceVersion = apimeta.Meta(web.GetObject()).GetResourceVersion()
	upd, err := f.Update(ctxT(t), &gantryv1.UpdateRequest{Object: again})
	if err != nil {
		t.Fatalf("update without the allocated values: %v", err)
	}
	if got := upd.GetObject().GetService().GetSpec(); got.GetClusterIp() != ip || got.GetPorts()[0].GetNodePort() != np {
		t.Fatalf("update moved web from %s:%d to %s:%d", ip, np, got.GetClusterIp(), got.GetPorts()[0].GetNodePort())
	}
	if g := apimeta.Meta(upd.GetObject()).GetGeneration(); g != 1 {
		t.Fatalf("an update that changed nothing bumped generation to %d", g)
	}
	changed := proto.Clone(upd.GetObject()).(*gantryv1.Object)
	changed.GetService().Spec.ClusterIp, changed.GetService().Spec.ClusterIps = "10.96.0.99", nil
	_, err = f.Update(ctxT(t), &gantryv1.UpdateRequest{Object: changed})
	wantRefused(t, err, codes.FailedPrecondition, "spec.clusterIP", "field is immutable")

	// NodePort -> ClusterIP gives the node port up at once.
	toCIP := proto.Clone(upd.GetObject()).(*gantryv1.Object)
	toCIP.GetService().Spec.Type = "ClusterIP"
	cip, err := f.Update(ctxT(t), &gantryv1.UpdateRequest{Object: toCIP})
	if err != nil {
		t.Fatalf("NodePort -> ClusterIP: %v", err)
	}
	if got := cip.GetObject().GetService().GetSpec(); got.GetPorts()[0].GetNodePort() != 0 || got.GetClusterIp() != ip {
		t.Fatalf("after NodePort -> ClusterIP: %v", got)
	}
	taker, err := f.Create(ctxT(t), &gantryv1.CreateRequest{Object: serviceObj("taker", "NodePort", "", &gantryv1.ServicePort{Port: 80, NodePort: np})})
	if err != nil || taker.GetObject().GetService().GetSpec().GetPorts()[0].GetNodePort() != np {
		t.Fatalf("node port %d was not released: %v", np, err)
	}

	// Deleting releases the address: asking for it by hand then works.
	if _, err := f.Delete(ctxT(t), &gantryv1.DeleteRequest{Kind: apimeta.KindService, Namespace: "default", Name: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Create(ctxT(t), &gantryv1.CreateRequest{Object: serviceObj("heir", "", ip)}); err != nil {
		t.Fatalf("the deleted service's address %s: %v", ip, err)
	}
}

func TestIngressThroughAPI(t *testing.T) {
	c := newCluster(t)
	rc := c.Followers()[0].Resource
	ing := &gantryv1.Ingress{Metadata: meta("default", "web", nil), Spec: &gantryv1.IngressSpec{
		Rules: []*gantryv1.IngressRule{{Host: "web.example.com", Http: &gantryv1.HTTPIngressRuleValue{Paths: []*gantryv1.HTTPIngressPath{
			{Path: "/", PathType: "Prefix", Backend: &gantryv1.IngressBackend{Service: &gantryv1.IngressServiceBackend{
				Name: "web", Port: &gantryv1.ServiceBackendPort{Number: 80}}}},
		}}}},
	}}
	if _, err := rc.Create(ctxT(t), &gantryv1.CreateRequest{Object: apimeta.Wrap(ing)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Leader().Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "Ingress", Namespace: "default", Name: "web"})
	if err != nil || got.GetObject().GetIngress().GetSpec().GetRules()[0].GetHost() != "web.example.com" {
		t.Fatalf("get ingress: %v %v", got, err)
	}
	bad := proto.Clone(ing).(*gantryv1.Ingress)
	bad.Metadata.Name = "bad"
	bad.Spec.Rules[0].Http.Paths[0].Path = "relative"
	_, err = rc.Create(ctxT(t), &gantryv1.CreateRequest{Object: apimeta.Wrap(bad)})
	wantRefused(t, err, codes.InvalidArgument, "spec.rules[0].http.paths[0].path", "must be an absolute path")
}
