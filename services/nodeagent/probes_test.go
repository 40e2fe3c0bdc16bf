package nodeagent

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func execProbe(period, failures int32, argv ...string) *gantryv1.Probe {
	return &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: argv}, PeriodSeconds: period, FailureThreshold: failures}
}

func containerOf(p *gantryv1.Pod) *gantryv1.ContainerStatus {
	if cs := p.GetStatus().GetContainerStatuses(); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// TestProbes runs real probes on one node agent with the process runtime:
// an exec liveness probe that fails restarts its container; an exec
// readiness probe decides Ready both ways; a startup probe (tcpSocket)
// holds an httpGet readiness probe on a named port off until the server
// listens.
func TestProbes(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	e.start(e.testConfig("n1", filepath.Join(dir, "agent")))

	// Bad probes are refused, naming the field.
	bad := shPod("bad", "n1", "sleep 1")
	bad.Spec.Containers[0].LivenessProbe = &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: []string{"true"}}, SuccessThreshold: 2}
	_, err := e.res.Create(context.Background(), &gantryv1.CreateRequest{Object: &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: bad}}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "spec.containers[0].livenessProbe.successThreshold") {
		t.Fatalf("liveness probe with successThreshold 2: %v, want INVALID_ARGUMENT naming the field", err)
	}

	alive, ready, healthy := filepath.Join(dir, "alive"), filepath.Join(dir, "ready"), filepath.Join(dir, "healthy")
	live := shPod("live", "n1", "exec sleep 600")
	live.Spec.Containers[0].LivenessProbe = execProbe(1, 2, "test", "-f", alive)
	e.createPod(live)
	gated := shPod("gated", "n1", "exec sleep 600")
	gated.Spec.Containers[0].ReadinessProbe = execProbe(1, 1, "test", "-f", ready)
	e.createPod(gated)
	e.createPod(httpPod(t, healthy))

	// Liveness: killed (SIGTERM: 143) and restarted, and the last state
	// says why.
	p := e.waitPod("live", 30*time.Second, func(p *gantryv1.Pod) error {
		if c := containerOf(p); c.GetRestartCount() < 1 || c.GetLastState().GetTerminated() == nil {
			return fmt.Errorf("not restarted yet: %v", c)
		}
		return nil
	})
	last := containerOf(p).GetLastState().GetTerminated()
	if !strings.HasPrefix(last.GetMessage(), "Liveness probe failed: ") || !strings.Contains(last.GetMessage(), alive) ||
		last.GetExitCode() != 143 || last.GetReason() != "Error" {
		t.Fatalf("last state of the killed container: %v", last)
	}

	// Readiness: running but not Ready until the probe passes, then Ready
	// (promptly: one period and one status flush), then not again.
	p = e.waitPod("gated", 20*time.Second, func(p *gantryv1.Pod) error {
		if c := containerOf(p); c.GetState().GetRunning() == nil || !c.GetStarted() {
			return fmt.Errorf("not running: %v", c)
		}
		return nil
	})
	if c := containerOf(p); c.GetReady() || condStatus(p.GetStatus().GetConditions(), "Ready") != "False" ||
		condStatus(p.GetStatus().GetConditions(), "ContainersReady") != "False" || p.GetStatus().GetPhase() != "Running" {
		t.Fatalf("before its readiness probe passed: phase %s, %v, conditions %v", p.GetStatus().GetPhase(), c, p.GetStatus().GetConditions())
	}
	touch(t, ready)
	began := time.Now()
	e.waitPod("gated", 10*time.Second, func(p *gantryv1.Pod) error {
		if condStatus(p.GetStatus().GetConditions(), "Ready") != "True" || !containerOf(p).GetReady() {
			return fmt.Errorf("not Ready: %v", p.GetStatus().GetConditions())
		}
		return nil
	})
	t.Logf("Ready %s after the readiness file appeared (period 1s)", time.Since(began).Round(time.Millisecond))
	if err := os.Remove(ready); err != nil {
		t.Fatal(err)
	}
	p = e.waitPod("gated", 10*time.Second, func(p *gantryv1.Pod) error {
		if condStatus(p.GetStatus().GetConditions(), "Ready") != "False" {
			return fmt.Errorf("still Ready")
		}
		return nil
	})
	if c := containerOf(p); c.GetRestartCount() != 0 || c.GetState().GetRunning() == nil {
		t.Fatalf("a failing readiness probe must not restart: %v", c)
	}

	// Startup (tcpSocket) then readiness (httpGet on the named port).
	e.waitPod("web", 20*time.Second, func(p *gantryv1.Pod) error {
		if c := containerOf(p); !c.GetStarted() || c.GetReady() {
			return fmt.Errorf("want started, not ready: %v", c)
		}
		return nil
	})
	touch(t, healthy)
	p = e.waitPod("web", 10*time.Second, func(p *gantryv1.Pod) error { return running(p) })
	if c := containerOf(p); c.GetRestartCount() != 0 {
		t.Fatalf("web restarted: %v", c)
	}

	// The liveness pod heals once its probe passes: it runs on.
	touch(t, alive)
	testutil.Eventually(t, 20*time.Second, func() error {
		o, err := e.get("Pod", "default", "live")
		if err != nil {
			return err
		}
		c := containerOf(o.GetPod())
		if c.GetState().GetRunning() == nil {
			return fmt.Errorf("not running: %v", c)
		}
		// Running for longer than two failed periods would take.
		if since := time.Since(c.GetState().GetRunning().GetStartedAt().AsTime()); since < 4*time.Second {
			return fmt.Errorf("running for %s only", since)
		}
		return nil
	})
}

// httpPod runs the health helper on a free loopback port, named "http",
// with a startup tcpSocket probe and an httpGet readiness probe on it.
func httpPod(t *testing.T, healthy string) *gantryv1.Pod {
	addr := testutil.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	p := helperPod(t, "web", "n1", "health", &gantryv1.EnvVar{Name: "ADDR", Value: addr},
		&gantryv1.EnvVar{Name: "HEALTH_FILE", Value: healthy})
	c := p.Spec.Containers[0]
	c.Ports = []*gantryv1.ContainerPort{{Name: "http", ContainerPort: int32(n)}}
	c.StartupProbe = &gantryv1.Probe{TcpSocket: &gantryv1.TCPSocketAction{Port: "http"}, PeriodSeconds: 1, FailureThreshold: 30}
	c.ReadinessProbe = &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: "/healthz", Port: "http"}, PeriodSeconds: 1, FailureThreshold: 1}
	return p
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}
