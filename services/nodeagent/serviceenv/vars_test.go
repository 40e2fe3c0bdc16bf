package serviceenv

import (
	"slices"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func service(ns, name, ip string, ports ...*gantryv1.ServicePort) *gantryv1.Service {
	return &gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: ns, Name: name},
		Spec: &gantryv1.ServiceSpec{ClusterIp: ip, Ports: ports}}
}

func flat(vars []*gantryv1.EnvVar) []string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v.GetName() + "=" + v.GetValue()
	}
	return out
}

// TestFromServices pins the kubelet's names and values, in its order.
func TestFromServices(t *testing.T) {
	got := flat(FromServices([]*gantryv1.Service{
		service("default", "my-web", "10.96.1.20",
			&gantryv1.ServicePort{Name: "http", Port: 80, Protocol: "TCP"},
			&gantryv1.ServicePort{Name: "dns-udp", Port: 53, Protocol: "UDP"}),
		service("default", "headless", "None", &gantryv1.ServicePort{Port: 80}),
		service("default", "pending", "", &gantryv1.ServicePort{Port: 80}),
		service("default", "bare", "10.96.1.21", &gantryv1.ServicePort{Port: 8080}),
	}))
	want := []string{
		"MY_WEB_SERVICE_HOST=10.96.1.20",
		"MY_WEB_SERVICE_PORT=80",
		"MY_WEB_SERVICE_PORT_HTTP=80",
		"MY_WEB_SERVICE_PORT_DNS_UDP=53",
		"MY_WEB_PORT=tcp://10.96.1.20:80",
		"MY_WEB_PORT_80_TCP=tcp://10.96.1.20:80",
		"MY_WEB_PORT_80_TCP_PROTO=tcp",
		"MY_WEB_PORT_80_TCP_PORT=80",
		"MY_WEB_PORT_80_TCP_ADDR=10.96.1.20",
		"MY_WEB_PORT_53_UDP=udp://10.96.1.20:53",
		"MY_WEB_PORT_53_UDP_PROTO=udp",
		"MY_WEB_PORT_53_UDP_PORT=53",
		"MY_WEB_PORT_53_UDP_ADDR=10.96.1.20",
		"BARE_SERVICE_HOST=10.96.1.21",
		"BARE_SERVICE_PORT=8080",
		"BARE_PORT=tcp://10.96.1.21:8080",
		"BARE_PORT_8080_TCP=tcp://10.96.1.21:8080",
		"BARE_PORT_8080_TCP_PROTO=tcp",
		"BARE_PORT_8080_TCP_PORT=8080",
		"BARE_PORT_8080_TCP_ADDR=10.96.1.21",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("FromServices:\n got %q\nwant %q", got, want)
	}
	if v := FromServices([]*gantryv1.Service{service("default", "noports", "10.96.1.22")}); len(v) != 0 {
		t.Fatalf("a service without ports gave %q", flat(v))
	}
}
