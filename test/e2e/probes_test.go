package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/protobuf/proto"
)

// TestProbes runs a Deployment of the HTTP server with httpGet liveness
// and readiness probes on a whole local cluster: a replica whose /readyz
// fails is running but not Ready, and the Deployment counts one replica
// less available until it passes again; a replica whose /healthz fails is
// killed and restarted (a new process, restartCount 1, its last state
// saying why) and is Ready again.
func TestProbes(t *testing.T) {
	w := startWorkloadCluster(t, 1)
	const name, selector = "probed", "app=probed"
	// With the pod network every pod listens on 8080 in its own namespace;
	// on the host network the replicas would share a port, so there is one.
	replicas := int32(2)
	spec := w.serverSpec("v1")
	c := spec.Containers[0]
	if !w.podNetwork {
		replicas = 1
		addr := testutil.FreeAddr(t)
		_, port, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(port)
		setEnv(spec, "LISTEN_ADDR", addr)
		c.Ports[0].ContainerPort = int32(n)
	}
	c.LivenessProbe = &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: "/healthz", Port: "http"}, PeriodSeconds: 1, FailureThreshold: 2}
	c.ReadinessProbe = &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: "/readyz", Port: "http"}, PeriodSeconds: 1, FailureThreshold: 1}
	labels := map[string]string{"app": name}
	w.create(apimeta.Wrap(&gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &gantryv1.DeploymentSpec{Replicas: proto.Int32(replicas), Selector: &gantryv1.LabelSelector{MatchLabels: labels},
			Template: &gantryv1.PodTemplateSpec{Metadata: &gantryv1.ObjectMeta{Labels: labels}, Spec: spec}},
	}))
	pods := w.waitRunningReady(60*time.Second, selector, int(replicas))
	w.waitDeploymentStatus(name, replicas)
	victim := podName(pods[0])
	addr := w.waitAnswers(30*time.Second, victim)[victim]
	pid := w.onePid(victim)

	// Readiness: /readyz fails -> not Ready, one less available; no restart.
	began := time.Now()
	httpPost(t, addr, "/readyz/fail")
	w.waitAvailable(name, replicas-1, func() error {
		p, err := w.getPod(victim)
		if err != nil {
			return err
		}
		if c := condition(p, "Ready"); c.GetStatus() != "False" || p.GetStatus().GetPhase() != "Running" {
			return fmt.Errorf("pod %s: phase %s, Ready %v", victim, p.GetStatus().GetPhase(), c)
		}
		return nil
	})
	t.Logf("/readyz failing: pod not Ready and the Deployment at %d available in %s", replicas-1, since(began))
	if p, _ := w.getPod(victim); restarts(p) != 0 || w.onePid(victim) != pid {
		t.Fatalf("a failing readiness probe restarted the container (restartCount %d)", restarts(p))
	}
	began = time.Now()
	httpPost(t, addr, "/readyz/ok")
	w.waitAvailable(name, replicas, func() error {
		p, err := w.getPod(victim)
		if err != nil {
			return err
		}
		if !runningReady(p) {
			return fmt.Errorf("pod %s not Ready", victim)
		}
		return nil
	})
	t.Logf("/readyz passing again: Ready and %d available in %s", replicas, since(began))

	// Liveness: /healthz fails -> killed, restarted as a new process, Ready.
	began = time.Now()
	httpPost(t, addr, "/healthz/fail")
	var p *gantryv1.Pod
	waitFor(t, 30*time.Second, "the unhealthy container to be restarted", func() error {
		var err error
		if p, err = w.getPod(victim); err != nil {
			return err
		}
		if restarts(p) != 1 || !runningReady(p) {
			return fmt.Errorf("restartCount %d, phase %s, Ready %v", restarts(p), p.GetStatus().GetPhase(), condition(p, "Ready"))
		}
		return nil
	})
	t.Logf("/healthz failing: restarted and Ready again in %s", since(began))
	last := p.GetStatus().GetContainerStatuses()[0].GetLastState().GetTerminated()
	if last.GetMessage() != "Liveness probe failed: HTTP probe failed with statuscode: 500" || last.GetReason() != "Error" {
		t.Fatalf("last state of the killed container: %v", last)
	}
	waitFor(t, 10*time.Second, "one new server process", func() error {
		pids := w.serverProcs()[victim]
		if len(pids) != 1 || pids[0] == pid {
			return fmt.Errorf("processes %v (the killed one was %d)", pids, pid)
		}
		return nil
	})
	w.waitAnswers(30*time.Second, victim)
	w.waitDeploymentStatus(name, replicas)
	// The other replica never noticed.
	for _, other := range pods[1:] {
		if p, err := w.getPod(podName(other)); err != nil || restarts(p) != 0 || !runningReady(p) {
			t.Errorf("pod %s: %v, restartCount %d", podName(other), err, restarts(p))
		}
	}
}

// waitAvailable waits until the Deployment counts n available replicas
// and podOK holds.
func (w *workloadCluster) waitAvailable(name string, n int32, podOK func() error) {
	w.t.Helper()
	waitFor(w.t, 30*time.Second, fmt.Sprintf("Deployment %s at %d available", name, n), func() error {
		if err := podOK(); err != nil {
			return err
		}
		d, err := w.deployment(name)
		if err != nil {
			return err
		}
		if got := d.GetStatus().GetAvailableReplicas(); got != n {
			return fmt.Errorf("%d available", got)
		}
		return nil
	})
}

// httpPost POSTs to http://addr/path, failing the test unless it is 200.
func httpPost(t *testing.T, addr, path string) {
	t.Helper()
	resp, err := httpClient.Post("http://"+addr+path, "text/plain", strings.NewReader(""))
	if err != nil {
		t.Fatalf("POST %s%s: %v", addr, path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s%s: %s", addr, path, resp.Status)
	}
}
