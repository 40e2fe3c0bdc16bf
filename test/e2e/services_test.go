package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"github.com/gantryio/gantry/services/nodeagent/network"
	"google.golang.org/protobuf/proto"
)

// serviceRange is the cluster's Service CIDR; the host gets a route for
// it into node n1's bridge only for this test.
const serviceRange = "10.96.0.0/16"

// TestServiceClusterIPNFTables runs a whole cluster whose proxies run in
// nftables mode: the host's own requests to a ClusterIP reach every pod of
// a Deployment of 3; scaled to 1, no request reaches a removed pod once
// its EndpointSlice lost them; a NodePort answers on a node's bridge
// address.
func TestServiceClusterIPNFTables(t *testing.T) {
	if !podNetworkExpected() {
		t.Skip("needs root with the CNI plugins: the nftables dataplane and pods with IPs of their own")
	}
	if out, err := exec.Command("ip", "-j", "route", "show", "root", serviceRange).Output(); err != nil {
		t.Skipf("ip route show root %s: %v", serviceRange, err)
	} else if routes := decodeRoutes(t, out); len(routes) > 0 {
		// Someone else's route: sending there could leave this machine.
		t.Skipf("the host already routes (part of) %s: %v; not ours to replace", serviceRange, routes)
	}
	w := startWorkloadClusterWith(t, 2, func(c *localcluster.Config) {
		// The default mode (nftables as root). No DNS upstream: nothing
		// leaves this machine.
		c.Workers.Proxies, c.Workers.ProxyMode, c.Workers.ProxyArgs = true, "", []string{"--dns-upstream="}
	})
	for _, p := range w.lc.Proxies() {
		if p.Mode != "nftables" {
			t.Fatalf("proxy %s runs %q, want nftables as root", p.Node, p.Mode)
		}
	}
	const clusterIP = "10.96.100.20"
	nodePort := freeNodePort(t)
	w.create(w.deploymentObject("web", 3, "1", "0"))
	w.create(apimeta.Wrap(&gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: &gantryv1.ServiceSpec{Type: "NodePort", ClusterIp: clusterIP, Selector: map[string]string{"app": "web"},
			Ports: []*gantryv1.ServicePort{{Name: "http", Port: 8080, TargetPort: "http", NodePort: int32(nodePort)}}},
	}))
	pods := w.waitRunningReady(60*time.Second, "app=web", 3)
	w.waitAnswers(60*time.Second, podNames(pods)...)
	for _, p := range w.lc.Proxies() {
		w.waitRoute(p.GRPC, 3)
	}

	// The bridge exists once its node runs pods: only now can the route
	// point into it.
	bridge := network.BridgeName("n1")
	if out, err := exec.Command("ip", "route", "replace", serviceRange, "dev", bridge).CombinedOutput(); err != nil {
		t.Fatalf("ip route replace %s dev %s: %v: %s", serviceRange, bridge, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "route", "del", serviceRange, "dev", bridge).CombinedOutput(); err != nil {
			t.Logf("ip route del %s dev %s: %v: %s", serviceRange, bridge, err, out)
		}
	})
	svcAddr := net.JoinHostPort(clusterIP, "8080")

	t.Run("cluster IP reaches every pod", func(t *testing.T) {
		seen := map[string]int{}
		n := 0
		waitFor(t, 30*time.Second, "requests from the host to "+svcAddr+" to reach every pod", func() error {
			if n >= 300 {
				t.Fatalf("%d requests to %s reached %v, not every one of %v", n, svcAddr, seen, podNames(pods))
			}
			n++
			name, err := httpGet(svcAddr, "/")
			if err != nil {
				return err
			}
			seen[name]++
			for _, p := range pods {
				if seen[podName(p)] == 0 {
					return fmt.Errorf("answers from %v, want every one of %v", seen, podNames(pods))
				}
			}
			if len(seen) != len(pods) {
				t.Fatalf("answers from %v: some not from the Deployment's pods %v", seen, podNames(pods))
			}
			return nil
		})
	})

	t.Run("scaled to 1", func(t *testing.T) {
		w.updateDeployment("web", func(d *gantryv1.Deployment) { d.Spec.Replicas = proto.Int32(1) })
		left := w.waitRunningReady(60*time.Second, "app=web", 1)[0]
		waitFor(t, 60*time.Second, "the EndpointSlice of web to hold 1 endpoint", func() error {
			items, err := w.list(apimeta.KindEndpointSlice, "kubernetes.io/service-name=web")
			if err != nil {
				return err
			}
			var addrs []string
			for _, o := range items {
				for _, ep := range o.GetEndpointSlice().GetEndpoints() {
					addrs = append(addrs, ep.GetAddresses()...)
				}
			}
			if len(addrs) != 1 || addrs[0] != left.GetStatus().GetPodIp() {
				return fmt.Errorf("endpoints %v, want only %s (%s)", addrs, left.GetStatus().GetPodIp(), podName(left))
			}
			return nil
		})
		for _, p := range w.lc.Proxies() {
			w.waitRoute(p.GRPC, 1)
		}
		got := map[string]int{}
		for i := 0; i < 20; i++ {
			name, err := httpGet(svcAddr, "/")
			if err != nil {
				t.Fatalf("request %d to %s: %v", i, svcAddr, err)
			}
			got[name]++
		}
		if got[podName(left)] != 20 {
			t.Fatalf("after scaling to 1, 20 requests to %s reached %v, want %s only", svcAddr, got, podName(left))
		}
	})

	t.Run("node port on the bridge address", func(t *testing.T) {
		gw := bridgeOf(t, w, "n1")
		addr := net.JoinHostPort(gw, strconv.Itoa(int(nodePort)))
		waitFor(t, 30*time.Second, "an answer on "+addr, func() error {
			name, err := httpGet(addr, "/")
			if err != nil {
				return err
			}
			if !strings.HasPrefix(name, "web-") {
				t.Fatalf("%s answered %q, want a pod of web", addr, name)
			}
			return nil
		})
	})
}

// decodeRoutes renders `ip -j route` output as destination/device pairs.
func decodeRoutes(t *testing.T, out []byte) []string {
	t.Helper()
	var routes []struct {
		Dst string `json:"dst"`
		Dev string `json:"dev"`
	}
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil
	}
	if err := json.Unmarshal(out, &routes); err != nil {
		t.Fatalf("ip -j route: %v: %s", err, out)
	}
	var s []string
	for _, r := range routes {
		s = append(s, r.Dst+" dev "+r.Dev)
	}
	return s
}
