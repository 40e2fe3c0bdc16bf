package printer

import (
	"bytes"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func ingresses() []*gantryv1.Object {
	mk := func(name string, spec *gantryv1.IngressSpec, lb ...*gantryv1.IngressLoadBalancerIngress) *gantryv1.Object {
		ing := &gantryv1.Ingress{Metadata: meta("default", name, 3*time.Hour), Spec: spec,
			Status: &gantryv1.IngressStatus{LoadBalancer: &gantryv1.IngressLoadBalancerStatus{Ingress: lb}}}
		return &gantryv1.Object{Kind: &gantryv1.Object_Ingress{Ingress: ing}}
	}
	rule := func(host string) *gantryv1.IngressRule { return &gantryv1.IngressRule{Host: host} }
	return []*gantryv1.Object{
		mk("web", &gantryv1.IngressSpec{IngressClassName: str("gantry"), Rules: []*gantryv1.IngressRule{rule("a.example.com"), rule("b.example.com")}},
			&gantryv1.IngressLoadBalancerIngress{Ip: "127.0.0.2", Ports: []*gantryv1.IngressPortStatus{{Port: 8080, Protocol: "TCP"}}},
			&gantryv1.IngressLoadBalancerIngress{Ip: "127.0.0.1", Ports: []*gantryv1.IngressPortStatus{{Port: 8080, Protocol: "TCP"}}}),
		mk("tls", &gantryv1.IngressSpec{Tls: []*gantryv1.IngressTLS{{Hosts: []string{"s.example.com"}, SecretName: "cert"}},
			Rules: []*gantryv1.IngressRule{rule("s.example.com")}}),
		mk("catchall", &gantryv1.IngressSpec{DefaultBackend: &gantryv1.IngressBackend{}, Rules: []*gantryv1.IngressRule{rule("")}}),
		mk("many", &gantryv1.IngressSpec{Rules: []*gantryv1.IngressRule{rule("h1"), rule("h2"), rule("h3"), rule("h4"), rule("h5"), rule("h6")}},
			&gantryv1.IngressLoadBalancerIngress{Ip: "192.168.100.101"}, &gantryv1.IngressLoadBalancerIngress{Hostname: "lb.example.com"}),
	}
}

func TestIngressTable(t *testing.T) {
	var b bytes.Buffer
	if err := PrintTable(&b, apimeta.KindIngress, ingresses(), Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "table-ingresses", b.Bytes())
}

// TestIngressCells pins the cells kubectl users read, apart from the
// golden file.
func TestIngressCells(t *testing.T) {
	ing := ingresses()
	cases := []struct {
		obj  int
		wide bool
		want []string
	}{
		{0, false, []string{"web", "gantry", "a.example.com,b.example.com", "127.0.0.1,127...", "8080", "3h"}},
		{0, true, []string{"web", "gantry", "a.example.com,b.example.com", "127.0.0.1,127.0.0.2", "8080", "3h"}},
		{1, false, []string{"tls", "<none>", "s.example.com", "", "80, 443", "3h"}},
		{2, false, []string{"catchall", "<none>", "*", "", "80", "3h"}},
		{3, false, []string{"many", "<none>", "h1,h2,h3,h4 + 2 more...", "192.168.100.1...", "80", "3h"}},
		{3, true, []string{"many", "<none>", "h1,h2,h3,h4 + 2 more...", "192.168.100.101,lb.example.com", "80", "3h"}},
	}
	for _, tc := range cases {
		got := ingressRow(ing[tc.obj], now, tc.wide)
		if len(got) != len(tc.want) {
			t.Fatalf("row %d: %q", tc.obj, got)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("row %d (wide %v) cell %d: got %q, want %q", tc.obj, tc.wide, i, got[i], tc.want[i])
			}
		}
	}
}

func TestIngressRowEmpty(t *testing.T) {
	got := ingressRow(&gantryv1.Object{Kind: &gantryv1.Object_Ingress{}}, now, false)
	if got[1] != "<none>" || got[2] != "*" || got[4] != "80" {
		t.Fatalf("empty ingress row: %q", got)
	}
}
