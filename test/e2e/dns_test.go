package e2e

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"github.com/gantryio/gantry/services/nodeagent/network"
	mdns "github.com/miekg/dns"
)

// dnsClientScript prints, every half second, what the pod's resolver
// makes of the service names: by their full name, by the short name the
// search list completes, and the headless service's addresses; and who
// answers an HTTP request to the service by its short name.
const dnsClientScript = `while :; do
  echo "fqdn=$(getent hosts web.default.svc.cluster.local | cut -d' ' -f1)"
  echo "short=$(getent hosts web | cut -d' ' -f1)"
  echo "headless=$(getent ahostsv4 web-hl.default.svc.cluster.local | awk '$2 == "STREAM" {print $1}' | sort | tr '\n' ',')"
  echo "nameserver=$(awk '$1 == "nameserver" {print $2}' /etc/resolv.conf)"
  echo "http=$(curl -s -m 2 http://web:8080/)"
  echo "ip=$(curl -s -m 2 http://10.96.100.53:8080/)"
  sleep 0.5
done`

// TestClusterDNS runs a whole cluster with a proxy per node serving
// cluster DNS: the host resolves service names through a proxy's address,
// and a pod resolves them with its own resolv.conf (the bridge address of
// its node, the cluster's search list) using the system resolver
// (getent): the ClusterIP by full and by short name, and a headless
// service's ready pod IPs; in nftables mode, requests to the service's
// name reach every pod behind it.
func TestClusterDNS(t *testing.T) {
	if !podNetworkExpected() {
		t.Skip("needs root with the CNI plugins: pods get the cluster's resolv.conf through a mount namespace, " +
			"and reach the node's DNS on their bridge")
	}
	w := startWorkloadClusterWith(t, 2, func(c *localcluster.Config) {
		// The proxies' default mode (nftables as root). No upstream:
		// names outside the cluster are refused, so the test sends
		// nothing beyond this machine.
		c.Workers.Proxies, c.Workers.ProxyMode, c.Workers.ProxyArgs = true, "", []string{"--dns-upstream="}
	})
	const clusterIP = "10.96.100.53"
	port := []*gantryv1.ServicePort{{Name: "http", Port: 8080, TargetPort: "http"}}
	w.create(apimeta.Wrap(&gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: &gantryv1.ServiceSpec{ClusterIp: clusterIP, Selector: map[string]string{"app": "web"}, Ports: port}}))
	w.create(apimeta.Wrap(&gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "web-hl"},
		Spec: &gantryv1.ServiceSpec{ClusterIp: "None", Selector: map[string]string{"app": "web"}, Ports: port}}))
	w.create(w.deploymentObject("web", 2, "1", "0"))
	pods := w.waitRunningReady(60*time.Second, "app=web", 2)
	var podIPs []string
	for _, p := range pods {
		podIPs = append(podIPs, p.GetStatus().GetPodIp())
	}
	sort.Strings(podIPs)

	t.Run("from the host", func(t *testing.T) {
		for _, p := range w.lc.Proxies() {
			if p.DNS == "" || !p.DNSBridge {
				t.Fatalf("proxy %s: DNS %q, bridge %v; want both", p.Node, p.DNS, p.DNSBridge)
			}
			expectDNS(t, p.DNS, "web.default.svc.cluster.local.", mdns.TypeA, clusterIP)
			expectDNS(t, p.DNS, "web-hl.default.svc.cluster.local.", mdns.TypeA, podIPs...)
			var srv []string
			for _, ip := range podIPs {
				srv = append(srv, "8080 "+strings.ReplaceAll(ip, ".", "-")+".web-hl.default.svc.cluster.local.")
			}
			expectDNS(t, p.DNS, "_http._tcp.web-hl.default.svc.cluster.local.", mdns.TypeSRV, srv...)
			expectDNS(t, p.DNS, "nope.default.svc.cluster.local.", mdns.TypeA, "NXDOMAIN")
			expectDNS(t, p.DNS, "example.com.", mdns.TypeA, "REFUSED")
		}
	})

	t.Run("from a pod", func(t *testing.T) {
		w.create(apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "dns-client", Labels: map[string]string{"app": "dns-client"}},
			Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "client", Image: "gantry-e2e/sh",
				Command: []string{"/bin/sh", "-c", dnsClientScript}, Env: []*gantryv1.EnvVar{{Name: markerEnv, Value: w.marker}}}}}}))
		client := w.waitRunningReady(60*time.Second, "app=dns-client", 1)[0]
		gw := bridgeOf(t, w, client.GetSpec().GetNodeName())
		want := map[string]string{"fqdn": clusterIP, "short": clusterIP, "headless": strings.Join(podIPs, ",") + ",", "nameserver": gw}
		waitFor(t, 30*time.Second, "the pod to resolve the service names", func() error {
			log, err := w.logs("dns-client")
			if err != nil {
				return err
			}
			got := lastValues(log)
			for k, v := range want {
				if got[k] != v {
					return fmt.Errorf("the pod's resolver says %s=%q, want %q (last lines %v)", k, got[k], v, got)
				}
			}
			return nil
		})
		// Requests by name need pods to reach cluster IPs at all: in
		// nftables mode, with a route to the service range.
		if mode := w.lc.Proxies()[0].Mode; mode != "nftables" {
			t.Logf("requests by name not tried: pods reach cluster IPs in nftables mode only, the proxies run %s", mode)
			return
		}
		if err := poll(30*time.Second, func() error {
			log, err := w.logs("dns-client")
			if err != nil {
				return err
			}
			if lastValues(log)["ip"] == "" {
				return errors.New("no answer from the cluster IP")
			}
			return nil
		}); err != nil {
			log, _ := w.logs("dns-client")
			t.Fatalf("the pod does not reach the cluster IP (%v); last lines %v", err, lastValues(log))
		}
		waitFor(t, 30*time.Second, "requests to http://web:8080/ from the pod to reach every pod", func() error {
			log, err := w.logs("dns-client")
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, m := range valueRE.FindAllStringSubmatch(log, -1) {
				if m[1] == "http" && m[2] != "" {
					seen[m[2]] = true
				}
			}
			for _, p := range pods {
				if !seen[podName(p)] {
					return fmt.Errorf("answers from %v, want every one of %v", seen, podNames(pods))
				}
			}
			return nil
		})
	})

	t.Run("latency", func(t *testing.T) {
		p := w.lc.Proxies()[0]
		lat := queryLatencies(t, p.DNS, "web.default.svc.cluster.local.", 2000)
		total := time.Duration(0)
		for _, d := range lat {
			total += d
		}
		t.Logf("%d A queries over UDP to %s, one at a time: p50 %s, p99 %s, max %s; %.0f queries/s",
			len(lat), p.DNS, lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1], float64(len(lat))/total.Seconds())
	})
}

var valueRE = regexp.MustCompile(`(?m)^(fqdn|short|headless|nameserver|http|ip)=(.*)$`)

// lastValues returns the last value the script printed for each key.
func lastValues(log string) map[string]string {
	out := map[string]string{}
	for _, m := range valueRE.FindAllStringSubmatch(log, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// bridgeOf returns the bridge address of node (its pod CIDR's first).
func bridgeOf(t *testing.T, w *workloadCluster, node string) string {
	t.Helper()
	ctx, cancel := w.ctx()
	defer cancel()
	o, err := w.cl.Get(ctx, apimeta.KindNode, "", node)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := network.Gateway(o.GetNode().GetSpec().GetPodCidr())
	if err != nil {
		t.Fatal(err)
	}
	return gw.Addr().String()
}

// dnsAnswer asks server for name/qtype over UDP and renders the answer
// sorted: addresses, "PORT TARGET" for SRV, the rcode when not NOERROR.
func dnsAnswer(server, name string, qtype uint16) ([]string, error) {
	q := new(mdns.Msg)
	q.SetQuestion(name, qtype)
	m, _, err := (&mdns.Client{Timeout: 2 * time.Second}).Exchange(q, server)
	if err != nil {
		return nil, err
	}
	if m.Rcode != mdns.RcodeSuccess {
		return []string{mdns.RcodeToString[m.Rcode]}, nil
	}
	out := []string{}
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *mdns.A:
			out = append(out, rr.A.String())
		case *mdns.SRV:
			out = append(out, fmt.Sprintf("%d %s", rr.Port, rr.Target))
		}
	}
	sort.Strings(out)
	return out, nil
}

func expectDNS(t *testing.T, server, name string, qtype uint16, want ...string) {
	t.Helper()
	sort.Strings(want)
	waitFor(t, 30*time.Second, fmt.Sprintf("%s %s from %s", name, mdns.TypeToString[qtype], server), func() error {
		got, err := dnsAnswer(server, name, qtype)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("got %q, want %q", got, want)
		}
		return nil
	})
}

// queryLatencies sends n queries one after the other and returns their
// round-trip times, sorted.
func queryLatencies(t *testing.T, server, name string, n int) []time.Duration {
	t.Helper()
	if _, err := netip.ParseAddrPort(server); err != nil {
		t.Fatal(err)
	}
	c := &mdns.Client{Timeout: 2 * time.Second}
	conn, err := c.Dial(server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		q := new(mdns.Msg)
		q.SetQuestion(name, mdns.TypeA)
		start := time.Now()
		m, _, err := c.ExchangeWithConn(q, conn)
		if err != nil || len(m.Answer) != 1 {
			t.Fatalf("query %d: %v %v", i, m, err)
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out
}
