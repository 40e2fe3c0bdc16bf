package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestIngressTwoHosts runs a whole cluster with a proxy per node serving
// ingress on one shared port: a Deployment per service (2 HTTP servers
// each, answering with their pod names), two Services, one Ingress with a
// host for each; requests with either Host header to the ingress port
// reach only that service's pods, and both of them; an unknown host is
// 404; every proxy reports the rules with the pods' endpoints.
func TestIngressTwoHosts(t *testing.T) {
	if !podNetworkExpected() {
		t.Skip("needs root with the CNI plugins: on the host network every pod's server listens on its own port of 127.0.0.1, " +
			"which an EndpointSlice (one port, 8080, for all its endpoints) cannot express")
	}
	w := startWorkloadClusterWith(t, 2, func(c *localcluster.Config) { c.Workers.Proxies = true })
	hosts := map[string]string{"alpha.example.test": "alpha", "beta.example.test": "beta"}
	ports := map[string]*gantryv1.ServiceBackendPort{"alpha": {Number: 8080}, "beta": {Name: "http"}}
	spec := &gantryv1.IngressSpec{}
	for _, host := range []string{"alpha.example.test", "beta.example.test"} {
		name := hosts[host]
		w.create(w.deploymentObject(name, 2, "1", "0"))
		w.create(apimeta.Wrap(&gantryv1.Service{
			Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
			Spec: &gantryv1.ServiceSpec{Selector: map[string]string{"app": name},
				Ports: []*gantryv1.ServicePort{{Name: "http", Port: 8080, TargetPort: "http"}}},
		}))
		spec.Rules = append(spec.Rules, &gantryv1.IngressRule{Host: host, Http: &gantryv1.HTTPIngressRuleValue{
			Paths: []*gantryv1.HTTPIngressPath{{Path: "/", PathType: "Prefix",
				Backend: &gantryv1.IngressBackend{Service: &gantryv1.IngressServiceBackend{Name: name, Port: ports[name]}}}}}})
	}
	w.create(apimeta.Wrap(&gantryv1.Ingress{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: spec}))
	pods := map[string][]string{}
	for _, name := range hosts {
		pods[name] = podNames(w.waitRunningReady(60*time.Second, "app="+name, 2))
		w.waitAnswers(60*time.Second, pods[name]...)
	}

	in := w.lc.Ingress()
	if in.HTTP == "" {
		t.Fatal("the cluster reports no ingress address")
	}
	for _, p := range w.lc.Proxies() {
		waitIngressRoutes(t, p.GRPC, 2)
	}
	// Each request is a new connection, which the kernel gives to either
	// proxy; each proxy goes round robin, so 20 requests reach both pods.
	for host, name := range hosts {
		got := map[string]int{}
		for range 20 {
			code, body, err := getWithHost(in.HTTP, host)
			if err != nil || code != http.StatusOK {
				t.Fatalf("GET Host %s via %s: %d %q %v", host, in.HTTP, code, body, err)
			}
			got[body]++
		}
		for pod := range got {
			if !slices.Contains(pods[name], pod) {
				t.Fatalf("requests for %s reached %v: %s is not a pod of service %s (%v)", host, got, pod, name, pods[name])
			}
		}
		if len(got) != 2 {
			t.Errorf("20 requests for %s reached %v, want both pods of %s", host, got, name)
		}
	}
	if code, body, err := getWithHost(in.HTTP, "gamma.example.test"); err != nil || code != http.StatusNotFound {
		t.Errorf("GET an unknown host: %d %q %v, want 404", code, body, err)
	}
}

// waitIngressRoutes waits until the proxy at addr serves Ingress
// default/web with n rules, each with 2 endpoints.
func waitIngressRoutes(t *testing.T, addr string, n int) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pc := gantryv1.NewProxyServiceClient(conn)
	waitFor(t, 60*time.Second, fmt.Sprintf("proxy %s to serve %d ingress rules with 2 endpoints each", addr, n), func() error {
		resp, err := pc.IngressRoutes(t.Context(), &gantryv1.IngressRoutesRequest{Namespace: "default", Name: "web"})
		if err != nil {
			return err
		}
		if len(resp.GetRoutes()) != n {
			return fmt.Errorf("%d rules", len(resp.GetRoutes()))
		}
		for _, r := range resp.GetRoutes() {
			if len(r.GetEndpoints()) != 2 {
				return fmt.Errorf("host %s: endpoints %v %s", r.GetHost(), r.GetEndpoints(), r.GetError())
			}
		}
		return nil
	})
}

// getWithHost sends GET / with a Host header to addr on a new connection.
func getWithHost(addr, host string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
