package admission

import (
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func TestValidateMeta(t *testing.T) {
	pod := func(mut func(*gantryv1.ObjectMeta)) func(*gantryv1.Pod) {
		return func(p *gantryv1.Pod) { mut(p.Metadata) }
	}
	svc := func(mut func(*gantryv1.ObjectMeta)) func(*gantryv1.Service) {
		return func(s *gantryv1.Service) { mut(s.Metadata) }
	}
	ns := func(name string) func() *gantryv1.Namespace {
		return func() *gantryv1.Namespace { return &gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: name}} }
	}
	bigAnnotation := strings.Repeat("x", 256<<10)
	runValidate(t, []wantCase{
		mk("valid pod", validPod, nil, "", ""),
		mk("subdomain name with dots", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Name = "web.v1" }), "", ""),
		mk("uppercase name", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Name = "Foo" }),
			"metadata.name", `Invalid value: "Foo": a lowercase RFC 1123 subdomain`),
		mk("missing name", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Name = "" }),
			"metadata.name", "name or generateName is required"),
		mk("generateName instead of name", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Name, m.GenerateName = "", "web-" }), "", ""),
		mk("bad generateName", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Name, m.GenerateName = "", "Web-" }),
			"metadata.generateName", "RFC 1123 subdomain"),
		mk("nil metadata", validPod, func(p *gantryv1.Pod) { p.Metadata = nil }, "metadata.name", "Required value"),
		mk("service name must be DNS-1035", validService, svc(func(m *gantryv1.ObjectMeta) { m.Name = "1web" }),
			"metadata.name", "DNS-1035 label"),
		mk("service name with dot", validService, svc(func(m *gantryv1.ObjectMeta) { m.Name = "web.v1" }),
			"metadata.name", "DNS-1035 label"),
		mk("namespace name is a label", ns("team-a"), nil, "", ""),
		mk("namespace name may not have dots", ns("team.a"), nil, "metadata.name", "must not contain dots"),
		mk("cluster-scoped kind with namespace", validNode, func(n *gantryv1.Node) { n.Metadata.Namespace = "default" },
			"metadata.namespace", "not allowed on this type"),
		mk("namespaced kind without namespace", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Namespace = "" }),
			"metadata.namespace", "Required value"),
		mk("invalid namespace", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Namespace = "Team_A" }),
			"metadata.namespace", "RFC 1123 label"),
		mk("valid labels", validPod, pod(func(m *gantryv1.ObjectMeta) {
			m.Labels = map[string]string{"app": "web", "example.com/tier": "front", "empty": ""}
		}), "", ""),
		mk("bad label key", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Labels = map[string]string{"-app": "web"} }),
			"metadata.labels", `"-app"`),
		mk("bad label value", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Labels = map[string]string{"app": "web server"} }),
			"metadata.labels", `"web server"`),
		mk("bad annotation key", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Annotations = map[string]string{"a b": "x"} }),
			"metadata.annotations", `"a b"`),
		mk("annotations at the size limit", validPod, pod(func(m *gantryv1.ObjectMeta) {
			m.Annotations = map[string]string{"a": bigAnnotation[:256<<10-1]}
		}), "", ""),
		mk("annotations over 256 KiB", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Annotations = map[string]string{"a": bigAnnotation} }),
			"metadata.annotations", "Too long"),
		mk("owner reference", validPod, pod(func(m *gantryv1.ObjectMeta) {
			m.OwnerReferences = []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", Uid: "u1"}}
		}), "", ""),
		mk("owner reference without uid", validPod, pod(func(m *gantryv1.ObjectMeta) {
			m.OwnerReferences = []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: "web"}}
		}), "metadata.ownerReferences[0].uid", "Required value"),
		mk("bad finalizer", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Finalizers = []string{"not valid"} }),
			"metadata.finalizers", `"not valid"`),
		mk("negative generation", validPod, pod(func(m *gantryv1.ObjectMeta) { m.Generation = -1 }),
			"metadata.generation", "must be greater than or equal to 0"),
	})
}

func TestValidateEmptyEnvelope(t *testing.T) {
	for _, o := range []*gantryv1.Object{nil, {}} {
		checkErr(t, Validate(o), ErrInvalid, wantCase{obj: o, field: "kind", detail: "Required value"})
		checkErr(t, ValidateStatus(o), ErrInvalid, wantCase{obj: o, field: "kind", detail: "Required value"})
	}
	// Every kind's zero object is invalid (no name at least) but never
	// makes Validate panic.
	for _, k := range apimeta.Kinds() {
		info, _ := apimeta.Lookup(k)
		o := &gantryv1.Object{}
		r := o.ProtoReflect()
		r.Set(info.Field, r.NewField(info.Field))
		checkErr(t, Validate(o), ErrInvalid, wantCase{obj: o, field: "metadata.name", detail: "Required value"})
	}
}
