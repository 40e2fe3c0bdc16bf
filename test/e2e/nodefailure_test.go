package e2e

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"github.com/gantryio/gantry/internal/taints"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Short node-failure timings, as `gantry up --node-monitor-grace 4s
// --pod-eviction-timeout 4s` sets them.
const (
	failureGrace    = 4 * time.Second
	failureEviction = 4 * time.Second
)

// TestNodeFailureHeals stops a node agent hard (SIGSTOP: its pods live on,
// as a partitioned node's would) under a Deployment of 6 on three nodes.
// The node goes Unknown and is tainted unreachable, its pods are evicted
// after their 4 s toleration and replaced on the other nodes: 6 Ready
// again. Then SIGCONT: the returning agent stops the pods that were
// evicted from it (also one force-deleted meanwhile, of which the API
// keeps nothing) and exactly 6 container processes run at the end.
//
// With GANTRY_E2E_NODE_FAILURE_DEFAULTS=1 it runs with the default
// timings instead (40 s grace, 300 s toleration: about six minutes), to
// measure them.
func TestNodeFailureHeals(t *testing.T) {
	grace, eviction, wait := failureGrace, failureEviction, 60*time.Second
	if os.Getenv("GANTRY_E2E_NODE_FAILURE_DEFAULTS") != "" {
		grace, eviction, wait = 40*time.Second, 300*time.Second, 10*time.Minute
	}
	w := startWorkloadClusterWith(t, 3, func(cfg *localcluster.Config) {
		if grace != 40*time.Second {
			cfg.NodeFailure = localcluster.NodeFailure{Grace: grace, EvictionTimeout: eviction}
		}
	})
	w.create(w.deploymentObject("heal", 6, "25%", "25%"))
	pods := w.waitRunningReady(60*time.Second, "app=heal", 6)
	w.waitAnswers(30*time.Second, podNames(pods)...)
	checkDefaultTolerations(t, pods[0], int64(eviction/time.Second))

	victim, onVictim := busiestNode(pods)
	agent := nodeProc(t, w.lc, victim)
	var victimPids []int
	for _, p := range onVictim {
		victimPids = append(victimPids, w.onePid(p))
	}
	t.Logf("node %s runs %v (pids %v); stopping its agent", victim, onVictim, victimPids)

	began := time.Now()
	cont := stopAgent(t, agent)

	w.waitNodeState(victim, wait, "Unknown", taints.Unreachable)
	unknownAfter := since(began)
	ready := w.waitReadyElsewhere(wait, "app=heal", 6, victim)
	healed := time.Since(began)
	t.Logf("SIGSTOP %s -> node Unknown and tainted after %s -> 6 pods Running and Ready on the other nodes after %s (grace %s, toleration %s)",
		victim, unknownAfter, healed.Round(10*time.Millisecond), grace, eviction)
	// The partitioned node's pods still run: nobody could stop them.
	for _, pid := range victimPids {
		if err := syscall.Kill(pid, 0); err != nil {
			t.Errorf("pid %d on the stopped node: %v (its pods must live on while it is cut off)", pid, err)
		}
	}
	if got := len(w.serverProcs()); got != 6+len(onVictim) {
		t.Errorf("%d pods have container processes while %s is stopped, want %d", got, victim, 6+len(onVictim))
	}

	// One of the evicted pods is force-deleted meanwhile (grace 0: gone
	// from the API at once), as an operator cleaning up would: the agent
	// must stop it too, though no pod object is left to tell it.
	ctx, cancel := w.ctx()
	_, err := w.cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: "default", Name: onVictim[0],
		GracePeriodSeconds: proto.Int64(0)})
	cancel()
	if err != nil {
		t.Fatalf("force-delete %s: %v", onVictim[0], err)
	}
	w.waitPodsGone(10*time.Second, onVictim[:1])

	// SIGCONT: the agent learns its pods were evicted and stops them.
	returned := time.Now()
	cont()
	w.waitPodsGone(60*time.Second, onVictim)
	t.Logf("SIGCONT %s -> its %d evicted pods stopped and deleted after %s", victim, len(onVictim), since(returned))
	w.checkProcessesOnly(podNames(ready))
	w.checkOneProcessEach(podNames(ready))
	w.waitNodeState(victim, 30*time.Second, "True")
	final := w.waitRunningReady(30*time.Second, "app=heal", 6)
	if !slices.Equal(podNames(final), podNames(ready)) {
		t.Errorf("pods after the node came back %v, want the 6 that replaced its pods %v", podNames(final), podNames(ready))
	}
	w.waitDeploymentStatus("heal", 6)
	if n := len(w.serverProcs()); n != 6 {
		t.Errorf("%d pods have container processes at the end, want 6", n)
	}
}

// checkDefaultTolerations checks the apiserver gave the pod the lifecycle
// tolerations with the configured seconds.
func checkDefaultTolerations(t *testing.T, p *gantryv1.Pod, secs int64) {
	t.Helper()
	for _, key := range []string{taints.NotReady, taints.Unreachable} {
		found := false
		for _, tol := range p.GetSpec().GetTolerations() {
			if tol.GetKey() == key && tol.GetEffect() == taints.NoExecute && tol.GetTolerationSeconds() == secs {
				found = true
			}
		}
		if !found {
			t.Errorf("pod %s tolerations %v lack %s:NoExecute for %d s", podName(p), p.GetSpec().GetTolerations(), key, secs)
		}
	}
}

// busiestNode returns the node running most of pods, and their names.
func busiestNode(pods []*gantryv1.Pod) (string, []string) {
	by := map[string][]string{}
	best := ""
	for _, p := range pods {
		n := p.GetSpec().GetNodeName()
		by[n] = append(by[n], podName(p))
		if best == "" || len(by[n]) > len(by[best]) {
			best = n
		}
	}
	return best, by[best]
}

// stopAgent SIGSTOPs a node agent and returns the SIGCONT that resumes
// it, which also runs at cleanup (before the cluster stops, even if the
// test fails); running it twice continues once.
func stopAgent(t *testing.T, agent *localcluster.Proc) (cont func()) {
	t.Helper()
	if err := agent.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	continued := false
	cont = func() {
		if !continued {
			continued = true
			if err := agent.Signal(syscall.SIGCONT); err != nil {
				t.Errorf("SIGCONT %s: %v", agent.Name, err)
			}
		}
	}
	t.Cleanup(cont)
	return cont
}

func nodeProc(t *testing.T, lc *localcluster.Cluster, name string) *localcluster.Proc {
	t.Helper()
	for _, p := range lc.Nodes() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no node agent %s", name)
	return nil
}

// waitNodeState waits until node's Ready condition has status ready and
// its NoExecute taints are exactly want.
func (w *workloadCluster) waitNodeState(node string, timeout time.Duration, ready string, want ...string) {
	w.t.Helper()
	waitFor(w.t, timeout, fmt.Sprintf("node %s Ready=%s with NoExecute taints %v", node, ready, want), func() error {
		ctx, cancel := w.ctx()
		defer cancel()
		o, err := w.cl.Get(ctx, apimeta.KindNode, "", node)
		if err != nil {
			return err
		}
		n := o.GetNode()
		var got []string
		for _, t := range n.GetSpec().GetTaints() {
			if t.GetEffect() == taints.NoExecute {
				got = append(got, t.GetKey())
			}
		}
		status := ""
		for _, c := range n.GetStatus().GetConditions() {
			if c.GetType() == "Ready" {
				status = c.GetStatus()
			}
		}
		if status != ready || !slices.Equal(got, want) {
			return fmt.Errorf("Ready=%s, NoExecute taints %v", status, got)
		}
		return nil
	})
}

// waitReadyElsewhere waits until exactly n pods matching selector are not
// being deleted, all Running and Ready and none on node avoid; pods being
// deleted (evicted from a node that cannot finish it) do not count.
func (w *workloadCluster) waitReadyElsewhere(timeout time.Duration, selector string, n int, avoid string) []*gantryv1.Pod {
	w.t.Helper()
	var out []*gantryv1.Pod
	waitFor(w.t, timeout, fmt.Sprintf("%d pods %s Running and Ready off node %s", n, selector, avoid), func() error {
		pods, err := w.pods(selector)
		if err != nil {
			return err
		}
		var live []*gantryv1.Pod
		for _, p := range pods {
			if p.GetMetadata().GetDeletionTimestamp() != nil {
				continue
			}
			if !runningReady(p) || p.GetSpec().GetNodeName() == avoid {
				return fmt.Errorf("pod %s on %s: %s, not ready or on the failed node", podName(p), p.GetSpec().GetNodeName(), p.GetStatus().GetPhase())
			}
			live = append(live, p)
		}
		if len(live) != n {
			return fmt.Errorf("%d live pods %v", len(live), podNames(live))
		}
		out = live
		return nil
	})
	return out
}

// waitPodsGone waits until the named pods no longer exist.
func (w *workloadCluster) waitPodsGone(timeout time.Duration, names []string) {
	w.t.Helper()
	waitFor(w.t, timeout, fmt.Sprintf("pods %v deleted", names), func() error {
		for _, name := range names {
			_, err := w.getPod(name)
			if status.Code(err) == codes.NotFound {
				continue
			}
			if err == nil {
				err = errors.New("still there")
			}
			return fmt.Errorf("pod %s: %w", name, err)
		}
		return nil
	})
}
