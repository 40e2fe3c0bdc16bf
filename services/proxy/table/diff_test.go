package table

import (
	"slices"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func keys(rs []*Route) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Key.String())
	}
	return out
}

func TestDiff(t *testing.T) {
	ports := []*gantryv1.EndpointPort{sport("http", "TCP", 8080)}
	web := svc("default", "web", "10.96.0.10", port("http", "TCP", 80))
	api := svc("default", "api", "10.96.0.11", port("http", "TCP", 80))
	db := svc("default", "db", "10.96.0.12", port("http", "TCP", 80))
	old := Build([]*gantryv1.Service{web, api, db}, []*gantryv1.EndpointSlice{
		slice("default", "web-1", "web", ports, ep{"10.1.0.1", readyC}, ep{"10.1.0.2", readyC}),
		slice("default", "api-1", "api", ports, ep{"10.1.1.1", readyC}),
	})
	web2 := svc("default", "web", "10.96.0.10", port("http", "TCP", 80))
	cache := svc("default", "cache", "10.96.0.13", port("http", "TCP", 80))
	new := Build([]*gantryv1.Service{web2, api, cache}, []*gantryv1.EndpointSlice{
		slice("default", "web-1", "web", ports, ep{"10.1.0.1", readyC}, ep{"10.1.0.2", terminatingC}),
		slice("default", "api-1", "api", ports, ep{"10.1.1.1", readyC}),
	})
	d := Diff(old, new)
	if got := keys(d.Added); !slices.Equal(got, []string{"default/cache:http/TCP"}) {
		t.Errorf("added = %v", got)
	}
	if got := keys(d.Removed); !slices.Equal(got, []string{"default/db:http/TCP"}) {
		t.Errorf("removed = %v", got)
	}
	if len(d.Changed) != 1 || d.Changed[0].New.Key.Name != "web" {
		t.Fatalf("changed = %+v, want web only (api is equal though rebuilt)", d.Changed)
	}
	if got := RemovedTargets(d.Changed[0].Old, d.Changed[0].New); len(got) != 1 || got[0] != ap("10.1.0.2:8080") {
		t.Errorf("RemovedTargets = %v, want the terminating endpoint", got)
	}
	if d.Len() != 3 || d.Empty() {
		t.Errorf("Len = %d, Empty = %v", d.Len(), d.Empty())
	}
	if !Diff(new, new).Empty() || !Diff(nil, nil).Empty() {
		t.Error("a table compared with itself (or nil with nil) differs")
	}
	all := Diff(nil, new)
	if len(all.Added) != new.Len() || all.Old != nil || all.New != new {
		t.Errorf("Diff(nil, t) = %+v, want every route added", all)
	}
	gone := Diff(new, nil)
	if len(gone.Removed) != new.Len() {
		t.Errorf("Diff(t, nil) removed %d, want %d", len(gone.Removed), new.Len())
	}
}

func TestDiffSeesEveryField(t *testing.T) {
	base := func() *gantryv1.Service {
		s := svc("default", "web", "10.96.0.10", &gantryv1.ServicePort{Name: "http", Port: 80, NodePort: 30080})
		s.Spec.Type = TypeNodePort
		return s
	}
	ports := []*gantryv1.EndpointPort{sport("http", "TCP", 8080)}
	sl := func(c cond) *gantryv1.EndpointSlice {
		return slice("default", "web-1", "web", ports, ep{"10.1.0.1", c})
	}
	old := Build([]*gantryv1.Service{base()}, []*gantryv1.EndpointSlice{sl(readyC)})
	mut := map[string]func() *Table{
		"cluster IP": func() *Table {
			s := base()
			s.Spec.ClusterIp = "10.96.0.99"
			return Build([]*gantryv1.Service{s}, []*gantryv1.EndpointSlice{sl(readyC)})
		},
		"port": func() *Table {
			s := base()
			s.Spec.Ports[0].Port = 81
			return Build([]*gantryv1.Service{s}, []*gantryv1.EndpointSlice{sl(readyC)})
		},
		"node port": func() *Table {
			s := base()
			s.Spec.Ports[0].NodePort = 30081
			return Build([]*gantryv1.Service{s}, []*gantryv1.EndpointSlice{sl(readyC)})
		},
		"affinity": func() *Table {
			s := base()
			s.Spec.SessionAffinity = AffinityClientIP
			return Build([]*gantryv1.Service{s}, []*gantryv1.EndpointSlice{sl(readyC)})
		},
		"readiness": func() *Table {
			return Build([]*gantryv1.Service{base()}, []*gantryv1.EndpointSlice{sl(notReadyC)})
		},
		"endpoint port": func() *Table {
			s := sl(readyC)
			p := int32(9090)
			s.Ports[0].Port = &p
			return Build([]*gantryv1.Service{base()}, []*gantryv1.EndpointSlice{s})
		},
	}
	for name, f := range mut {
		if d := Diff(old, f()); len(d.Changed) != 1 {
			t.Errorf("%s: changed = %d, want 1", name, len(d.Changed))
		}
	}
}
