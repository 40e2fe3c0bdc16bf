package table

import (
	"slices"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestBuildTrafficRule(t *testing.T) {
	ports := []*gantryv1.EndpointPort{sport("http", "TCP", 8080)}
	cases := []struct {
		name        string
		eps         []ep
		wantAll     []string
		wantTargets []string
	}{
		{"ready only get traffic", []ep{{"10.1.0.3", readyC}, {"10.1.0.1", notReadyC}, {"10.1.0.2", readyC}},
			[]string{"10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"}, []string{"10.1.0.2:8080", "10.1.0.3:8080"}},
		{"unset conditions are ready", []ep{{"10.1.0.1", unsetC}},
			[]string{"10.1.0.1:8080"}, []string{"10.1.0.1:8080"}},
		{"terminating serving only when none ready", []ep{{"10.1.0.1", terminatingC}, {"10.1.0.2", readyC}},
			[]string{"10.1.0.1:8080", "10.1.0.2:8080"}, []string{"10.1.0.2:8080"}},
		{"terminating serving as the last resort", []ep{{"10.1.0.1", terminatingC}, {"10.1.0.2", notReadyC}, {"10.1.0.3", goneC}},
			[]string{"10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"}, []string{"10.1.0.1:8080"}},
		{"terminating never ready even if it says so", []ep{{"10.1.0.1", cond{ready: b(true), terminating: b(true)}}, {"10.1.0.2", readyC}},
			[]string{"10.1.0.1:8080", "10.1.0.2:8080"}, []string{"10.1.0.2:8080"}},
		{"nothing serving, no targets", []ep{{"10.1.0.1", notReadyC}, {"10.1.0.2", goneC}},
			[]string{"10.1.0.1:8080", "10.1.0.2:8080"}, []string{}},
		{"unparsable addresses left out", []ep{{"not-an-ip", readyC}, {"10.1.0.1", readyC}},
			[]string{"10.1.0.1:8080"}, []string{"10.1.0.1:8080"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tbl := Build([]*gantryv1.Service{svc("default", "web", "10.96.0.10", port("http", "TCP", 80))},
				[]*gantryv1.EndpointSlice{slice("default", "web-1", "web", ports, tc.eps...)})
			r, ok := tbl.Route(key("default", "web", "http", TCP))
			if !ok {
				t.Fatalf("no route; routes = %v", tbl.Routes())
			}
			if got := addrs(r.Endpoints); !slices.Equal(got, tc.wantAll) {
				t.Errorf("endpoints = %v, want %v", got, tc.wantAll)
			}
			if got := addrs(r.Targets); !slices.Equal(got, tc.wantTargets) {
				t.Errorf("targets = %v, want %v", got, tc.wantTargets)
			}
		})
	}
}

func TestBuildPortsMatchByNameAndProtocol(t *testing.T) {
	s := svc("default", "dns", "10.96.0.10", port("dns", "UDP", 53), port("dns-tcp", "TCP", 53), port("metrics", "", 9153))
	sl1 := slice("default", "dns-a", "dns",
		[]*gantryv1.EndpointPort{sport("dns", "UDP", 5353), sport("dns-tcp", "TCP", 5354), sport("metrics", "TCP", 9153)},
		ep{"10.1.0.1", readyC})
	// Named target ports resolve per pod: another slice, other numbers.
	sl2 := slice("default", "dns-b", "dns",
		[]*gantryv1.EndpointPort{sport("dns", "UDP", 6363), sport("dns-tcp", "TCP", 6364)},
		ep{"10.1.0.2", readyC})
	// A slice of another namespace's service of the same name.
	other := slice("kube", "dns-c", "dns", []*gantryv1.EndpointPort{sport("dns", "UDP", 53)}, ep{"10.9.9.9", readyC})
	tbl := Build([]*gantryv1.Service{s}, []*gantryv1.EndpointSlice{sl1, sl2, other})
	want := map[PortKey][]string{
		key("default", "dns", "dns", UDP):     {"10.1.0.1:5353", "10.1.0.2:6363"},
		key("default", "dns", "dns-tcp", TCP): {"10.1.0.1:5354", "10.1.0.2:6364"},
		key("default", "dns", "metrics", TCP): {"10.1.0.1:9153"},
	}
	if tbl.Len() != len(want) {
		t.Fatalf("%d routes, want %d: %v", tbl.Len(), len(want), tbl.Routes())
	}
	for k, w := range want {
		r, ok := tbl.Route(k)
		if !ok {
			t.Fatalf("no route %s", k)
		}
		if got := addrs(r.Targets); !slices.Equal(got, w) {
			t.Errorf("%s targets = %v, want %v", k, got, w)
		}
		if r.Port != 53 && k.Port != "metrics" {
			t.Errorf("%s port = %d", k, r.Port)
		}
	}
	if got := tbl.EndpointCount(); got != 5 {
		t.Errorf("EndpointCount = %d, want 5", got)
	}
}

func TestBuildHeadlessHasNoRoutes(t *testing.T) {
	h := svc("default", "db", "None", port("pg", "TCP", 5432))
	pending := svc("default", "new", "", port("http", "TCP", 80))
	bad := svc("default", "bad", "10.96.0.300", port("http", "TCP", 80))
	sl := slice("default", "db-1", "db", []*gantryv1.EndpointPort{sport("pg", "TCP", 5432)},
		ep{"10.1.0.2", readyC}, ep{"10.1.0.1", notReadyC})
	tbl := Build([]*gantryv1.Service{h, pending, bad}, []*gantryv1.EndpointSlice{sl})
	if tbl.Len() != 0 {
		t.Fatalf("routes = %v, want none", tbl.Routes())
	}
	if len(tbl.Services()) != 3 {
		t.Fatalf("services = %d, want 3 (DNS sees headless and pending ones)", len(tbl.Services()))
	}
	s, _ := tbl.Service(ServiceKey{"default", "db"})
	if !s.Headless || s.ClusterIP.IsValid() || len(s.Ports) != 1 {
		t.Fatalf("headless service = %+v", s)
	}
	if got := addrs(s.Endpoints); !slices.Equal(got, []string{"10.1.0.1:0", "10.1.0.2:0"}) {
		t.Errorf("headless endpoints = %v", got)
	}
	if got := addrs(s.Ports[0].Targets); !slices.Equal(got, []string{"10.1.0.2:5432"}) {
		t.Errorf("headless port targets (for SRV) = %v", got)
	}
}

func TestBuildNodePort(t *testing.T) {
	np := svc("default", "web", "10.96.0.10", &gantryv1.ServicePort{Name: "http", Port: 80, NodePort: 30080})
	np.Spec.Type = TypeNodePort
	cip := svc("default", "api", "10.96.0.11", &gantryv1.ServicePort{Name: "http", Port: 80, NodePort: 30081})
	tbl := Build([]*gantryv1.Service{np, cip}, nil)
	r, _ := tbl.Route(key("default", "web", "http", TCP))
	if r.NodePort != 30080 {
		t.Errorf("NodePort service: node port %d, want 30080", r.NodePort)
	}
	r, _ = tbl.Route(key("default", "api", "http", TCP))
	if r.NodePort != 0 {
		t.Errorf("ClusterIP service: node port %d, want 0 (only NodePort services get one)", r.NodePort)
	}
}

func TestBuildSkipsBadInput(t *testing.T) {
	s := svc("default", "web", "10.96.0.10",
		port("a", "TCP", 0), port("b", "TCP", 70000), port("c", "ICMP", 80), port("d", "TCP", 80), port("d", "TCP", 81))
	fqdn := slice("default", "web-f", "web", []*gantryv1.EndpointPort{sport("d", "TCP", 80)}, ep{"10.1.0.1", readyC})
	fqdn.AddressType = "FQDN"
	unlabelled := slice("default", "web-u", "", []*gantryv1.EndpointPort{sport("d", "TCP", 80)}, ep{"10.1.0.2", readyC})
	tbl := Build([]*gantryv1.Service{s, {Metadata: &gantryv1.ObjectMeta{}}}, []*gantryv1.EndpointSlice{fqdn, unlabelled, nil})
	if tbl.Len() != 1 {
		t.Fatalf("routes = %d, want 1 (d only, once)", tbl.Len())
	}
	r := tbl.Routes()[0]
	if r.Port != 80 || len(r.Endpoints) != 0 {
		t.Errorf("route %s port %d endpoints %v", r.Key, r.Port, addrs(r.Endpoints))
	}
}

func TestBuildDedupesAcrossSlices(t *testing.T) {
	ports := []*gantryv1.EndpointPort{sport("", "TCP", 8080)}
	// While the controller moves an endpoint between slices it can be in
	// both, ready in one.
	a := slice("default", "web-a", "web", ports, ep{"10.1.0.1", notReadyC}, ep{"10.1.0.2", readyC})
	c := slice("default", "web-b", "web", ports, ep{"10.1.0.1", readyC})
	tbl := Build([]*gantryv1.Service{svc("default", "web", "10.96.0.10", port("", "", 80))}, []*gantryv1.EndpointSlice{a, c})
	r, ok := tbl.Route(key("default", "web", "", TCP))
	if !ok {
		t.Fatal("no route for the unnamed port")
	}
	if got := addrs(r.Targets); !slices.Equal(got, []string{"10.1.0.1:8080", "10.1.0.2:8080"}) {
		t.Errorf("targets = %v", got)
	}
	if len(r.Endpoints) != 2 {
		t.Errorf("endpoints = %v, want each address once", addrs(r.Endpoints))
	}
}

func TestBuildDoesNotModifyInput(t *testing.T) {
	svcs, sls := bigCluster(3, 3)
	before := make([]string, 0)
	for _, sl := range sls {
		before = append(before, sl.String())
	}
	Build(svcs, sls)
	for i, sl := range sls {
		if sl.String() != before[i] {
			t.Fatalf("slice %d modified", i)
		}
	}
}
