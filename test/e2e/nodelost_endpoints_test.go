package e2e

import (
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"github.com/gantryio/gantry/internal/taints"
)

// TestLostNodesPodsLeaveTheirService: a node agent stops (SIGSTOP) under
// a Deployment of 4 behind a Service, with pods that tolerate the lost
// node for 300 s (Kubernetes' default), so nothing is evicted during the
// test. Once the node is Unknown its pods are marked Ready=False (reason
// NodeNotReady) and leave the Service's EndpointSlice as ready endpoints,
// minutes before any eviction. SIGCONT: the agent writes its pods' real
// status again, and they are ready endpoints once more, the same pods.
func TestLostNodesPodsLeaveTheirService(t *testing.T) {
	w := startWorkloadClusterWith(t, 2, func(cfg *localcluster.Config) {
		cfg.NodeFailure = localcluster.NodeFailure{Grace: failureGrace, EvictionTimeout: 300 * time.Second}
	})
	w.create(w.deploymentObject("lost", 4, "25%", "25%"))
	w.create(apimeta.Wrap(&gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "lost"},
		Spec: &gantryv1.ServiceSpec{Selector: map[string]string{"app": "lost"},
			Ports: []*gantryv1.ServicePort{{Name: "http", Port: 8080, TargetPort: "http"}}},
	}))
	pods := w.waitRunningReady(60*time.Second, "app=lost", 4)
	victim, onVictim := busiestNode(pods)
	w.waitEndpointsReady(30*time.Second, "lost", podNames(pods), nil)

	agent := nodeProc(t, w.lc, victim)
	began := time.Now()
	cont := stopAgent(t, agent)

	w.waitNodeState(victim, 60*time.Second, "Unknown", taints.Unreachable)
	w.waitPodsReady(30*time.Second, onVictim, "False", taints.PodNotReadyReason)
	w.waitEndpointsReady(30*time.Second, "lost", podNames(pods), onVictim)
	t.Logf("SIGSTOP %s -> its pods %v out of the Service's ready endpoints after %s (grace %s; eviction would be at 300 s)",
		victim, onVictim, since(began), failureGrace)

	returned := time.Now()
	cont()
	w.waitNodeState(victim, 60*time.Second, "True")
	w.waitPodsReady(60*time.Second, onVictim, "True", "")
	w.waitEndpointsReady(30*time.Second, "lost", podNames(pods), nil)
	t.Logf("SIGCONT %s -> its pods Ready and back in the Service after %s", victim, since(returned))
	final := w.waitRunningReady(30*time.Second, "app=lost", 4)
	if got, want := podNames(final), podNames(pods); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pods at the end %v, want the same %v (nothing evicted)", got, want)
	}
}

// waitPodsReady waits until each named pod's Ready condition has status
// (and reason, when reason is not empty).
func (w *workloadCluster) waitPodsReady(timeout time.Duration, names []string, status, reason string) {
	w.t.Helper()
	waitFor(w.t, timeout, fmt.Sprintf("pods %v Ready=%s %s", names, status, reason), func() error {
		for _, name := range names {
			p, err := w.getPod(name)
			if err != nil {
				return err
			}
			var got *gantryv1.Condition
			for _, c := range p.GetStatus().GetConditions() {
				if c.GetType() == "Ready" {
					got = c
				}
			}
			if got.GetStatus() != status || (reason != "" && got.GetReason() != reason) {
				return fmt.Errorf("pod %s Ready=%s (%s)", name, got.GetStatus(), got.GetReason())
			}
		}
		return nil
	})
}

// waitEndpointsReady waits until service's EndpointSlices list every pod
// of all, those in notReady with ready=false and the others ready.
func (w *workloadCluster) waitEndpointsReady(timeout time.Duration, service string, all, notReady []string) {
	w.t.Helper()
	want := map[string]bool{}
	for _, p := range all {
		want[p] = true
	}
	for _, p := range notReady {
		want[p] = false
	}
	waitFor(w.t, timeout, fmt.Sprintf("endpoints of %s ready as %v", service, want), func() error {
		items, err := w.list(apimeta.KindEndpointSlice, "kubernetes.io/service-name="+service)
		if err != nil {
			return err
		}
		got := map[string]bool{}
		for _, o := range items {
			for _, ep := range o.GetEndpointSlice().GetEndpoints() {
				got[ep.GetTargetRef().GetName()] = ep.GetConditions().GetReady()
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("endpoints ready %v", got)
		}
		return nil
	})
}
