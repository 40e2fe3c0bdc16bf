package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// TestProxyUserspace runs a whole cluster with a userspace proxy per node:
// a Deployment of 3 HTTP servers behind a NodePort Service is reached
// through a proxy's service address and through the node port, every pod
// answering; scaled to 1, no request reaches a removed pod once its
// endpoint is gone; scaled to 0, connections are refused at once.
func TestProxyUserspace(t *testing.T) {
	if !podNetworkExpected() {
		t.Skip("needs root with the CNI plugins: on the host network every pod's server listens on its own port of 127.0.0.1, " +
			"which an EndpointSlice (one port, 8080, for all its endpoints) cannot express")
	}
	w := startWorkloadClusterWith(t, 2, func(c *localcluster.Config) {
		c.Workers.Proxies, c.Workers.ProxyMode = true, "userspace"
	})
	nodePort := freeNodePort(t)
	w.create(w.deploymentObject("web", 3, "1", "0"))
	w.create(apimeta.Wrap(&gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: &gantryv1.ServiceSpec{Type: "NodePort", ClusterIp: "10.96.100.10", Selector: map[string]string{"app": "web"},
			Ports: []*gantryv1.ServicePort{{Name: "http", Port: 8080, TargetPort: "http", NodePort: int32(nodePort)}}},
	}))
	pods := w.waitRunningReady(60*time.Second, "app=web", 3)
	// Ready is "running" here (no readiness probe): wait for the servers
	// to listen, or the proxy would rightly skip the ones that refuse.
	w.waitAnswers(60*time.Second, podNames(pods)...)
	proxies := w.lc.Proxies()
	npAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(nodePort)))
	var svcAddr string
	for i, p := range proxies {
		// The service port on the proxy's own address (or, should another
		// cluster's proxy hold it, a picked port there), then the node port.
		listen := w.waitRoute(p.GRPC, 3).GetListen()
		if host, _, err := net.SplitHostPort(listen[0]); len(listen) != 2 || err != nil || host != p.ServiceAddress || listen[1] != npAddr {
			t.Fatalf("proxy %s listens on %v, want %s:PORT and %s", p.Node, listen, p.ServiceAddress, npAddr)
		}
		if i == 0 {
			svcAddr = listen[0]
		}
	}

	reached := func(addr string, n int) map[string]int {
		got := map[string]int{}
		for i := 0; i < n; i++ {
			name, err := httpGet(addr, "/")
			if err != nil {
				t.Fatalf("GET via %s: %v", addr, err)
			}
			got[name]++
		}
		return got
	}
	// One proxy's service address goes round robin: 10 each. The node
	// port is served by both proxies (the kernel picks one per
	// connection): each pod at least once.
	for _, addr := range []string{svcAddr, npAddr} {
		got := reached(addr, 30)
		for _, p := range pods {
			if got[podName(p)] == 0 || (addr == svcAddr && got[podName(p)] != 10) {
				t.Fatalf("30 requests via %s reached %v, want every pod (10 each via the service address)", addr, got)
			}
		}
	}

	w.updateDeployment("web", func(d *gantryv1.Deployment) { d.Spec.Replicas = proto.Int32(1) })
	for _, p := range proxies {
		w.waitRoute(p.GRPC, 1)
	}
	left := w.waitRunningReady(60*time.Second, "app=web", 1)
	for _, addr := range []string{svcAddr, npAddr} {
		if got := reached(addr, 20); got[podName(left[0])] != 20 {
			t.Fatalf("after scaling to 1, 20 requests via %s reached %v, want %s only", addr, got, podName(left[0]))
		}
	}

	w.updateDeployment("web", func(d *gantryv1.Deployment) { d.Spec.Replicas = proto.Int32(0) })
	for _, p := range proxies {
		w.waitRoute(p.GRPC, 0)
	}
	for _, addr := range []string{svcAddr, npAddr} {
		start := time.Now()
		_, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s with no endpoints after %s: %v, want refused at once", addr, time.Since(start), err)
		}
	}
}

// waitRoute waits until the proxy at addr routes default/web to exactly n
// endpoints that receive traffic, and returns the route.
func (w *workloadCluster) waitRoute(addr string, n int) *gantryv1.ServiceRoute {
	w.t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close()
	pc := gantryv1.NewProxyServiceClient(conn)
	var route *gantryv1.ServiceRoute
	waitFor(w.t, 60*time.Second, fmt.Sprintf("proxy %s to route web to %d endpoints", addr, n), func() error {
		ctx, cancel := w.ctx()
		defer cancel()
		resp, err := pc.Routes(ctx, &gantryv1.RoutesRequest{Namespace: "default", Name: "web"})
		if err != nil {
			return err
		}
		if len(resp.GetRoutes()) != 1 {
			return fmt.Errorf("%d routes", len(resp.GetRoutes()))
		}
		got := 0
		for _, ep := range resp.GetRoutes()[0].GetEndpoints() {
			if ep.GetReceives() {
				got++
			}
		}
		if got != n {
			return fmt.Errorf("%d endpoints receive traffic: %v", got, resp.GetRoutes()[0].GetEndpoints())
		}
		route = resp.GetRoutes()[0]
		return nil
	})
	return route
}

// freeNodePort returns a port in the NodePort range that was free a moment
// ago.
func freeNodePort(t *testing.T) uint16 {
	t.Helper()
	for i := 0; i < 200; i++ {
		p := uint16(30000 + rand.IntN(2768))
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p)))); err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no free port in 30000-32767")
	return 0
}
