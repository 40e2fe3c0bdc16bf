package nodeagent

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/nodeagent/network"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// helperPod runs this test binary as a container program.
func helperPod(t *testing.T, name, node, mode string, env ...*gantryv1.EnvVar) *gantryv1.Pod {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env = append(env, &gantryv1.EnvVar{Name: helperEnv, Value: mode})
	return &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: name}, Spec: &gantryv1.PodSpec{NodeName: node,
		Containers: []*gantryv1.Container{{Name: "main", Image: self, Env: env}}}}
}

func inCIDR(t *testing.T, ip, cidr string) bool {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	return n.Contains(net.ParseIP(ip))
}

func linkExists(name string) bool {
	return exec.Command("ip", "link", "show", name).Run() == nil
}

func TestPodNetworkAcrossTwoNodes(t *testing.T) {
	if err := network.Available(DefaultConfig().CNIPluginDirs); err != nil {
		t.Skipf("pod networking needs root, iproute2 and the CNI plugins (containernetworking-plugins): %v", err)
	}
	e := newEnv(t)
	cidrs := map[string]string{"neta": "10.244.250.0/24", "netb": "10.244.251.0/24"}
	agents := map[string]*runningAgent{}
	for _, name := range []string{"neta", "netb"} {
		if linkExists(network.BridgeName(name)) {
			t.Fatalf("bridge %s exists before the test", network.BridgeName(name))
		}
		cfg := e.testConfig(name, t.TempDir())
		cfg.Network, cfg.PodCIDR, cfg.StopPodsOnExit = NetworkPod, cidrs[name], true
		agents[name] = e.start(cfg)
		if agents[name].a.NetworkMode() != "pod-network" {
			t.Fatalf("%s: network mode %s", name, agents[name].a.NetworkMode())
		}
	}
	for name := range cidrs {
		testutil.Eventually(t, 10*time.Second, func() error {
			o, err := e.get("Node", "", name)
			if err != nil {
				return err
			}
			conds := o.GetNode().GetStatus().GetConditions()
			if condStatus(conds, "Ready") != "True" || condStatus(conds, "NetworkUnavailable") != "False" {
				return fmt.Errorf("conditions %v", conds)
			}
			return nil
		})
	}
	echo := e.createPod(helperPod(t, "echo", "neta", "echo"))
	echo = e.waitPod("echo", 20*time.Second, running)
	echoIP := echo.GetStatus().GetPodIp()
	if !inCIDR(t, echoIP, cidrs["neta"]) {
		t.Fatalf("echo pod IP %q is not in neta's %s", echoIP, cidrs["neta"])
	}
	netns := filepath.Join(network.NetNSDir, network.NetNSName(echo.GetMetadata().GetUid()))
	if _, err := os.Stat(netns); err != nil {
		t.Fatalf("pod network namespace: %v", err)
	}
	dialer := helperPod(t, "dialer", "netb", "dial", &gantryv1.EnvVar{Name: "TARGET", Value: net.JoinHostPort(echoIP, "7777")})
	dialer.Spec.RestartPolicy = "Never"
	e.createPod(dialer)
	dialed := e.waitPod("dialer", 40*time.Second, func(p *gantryv1.Pod) error {
		if ph := p.GetStatus().GetPhase(); ph != "Succeeded" {
			return fmt.Errorf("phase %s, %v", ph, p.GetStatus().GetContainerStatuses())
		}
		return nil
	})
	if ip := dialed.GetStatus().GetPodIp(); !inCIDR(t, ip, cidrs["netb"]) {
		t.Fatalf("dialer pod IP %q is not in netb's %s", ip, cidrs["netb"])
	}
	got, err := e.logs(&gantryv1.LogsRequest{Name: "dialer"})
	if want := "pong ping from " + echoIP; err != nil || !strings.Contains(got, want) {
		t.Fatalf("dialer log %q (%v), want %q: pods on two nodes must reach each other", got, err, want)
	}
	// Deleting the pod removes its namespace.
	if _, err := e.res.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: "Pod", Namespace: "default", Name: "echo"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() error {
		if _, err := e.get("Pod", "default", "echo"); status.Code(err) != codes.NotFound {
			return fmt.Errorf("echo pod still there: %v", err)
		}
		if _, err := os.Stat(netns); !os.IsNotExist(err) {
			return fmt.Errorf("network namespace %s still there", netns)
		}
		return nil
	})
	// Stopping the agents (with --stop-pods-on-exit) removes the bridges.
	for name, r := range agents {
		r.stop()
		if linkExists(network.BridgeName(name)) {
			t.Errorf("bridge %s left behind", network.BridgeName(name))
		}
	}
}
