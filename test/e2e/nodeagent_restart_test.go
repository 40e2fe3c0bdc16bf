package e2e

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestNodeAgentRestartKeepsPods restarts a node agent twice — after
// SIGKILL, and after a graceful SIGTERM (started without
// --stop-pods-on-exit, as a node agent runs by default) — and checks that
// its pods run on untouched: the same processes, restart counts and
// container ids, no duplicate process. What happened while it was away is
// caught up with: a container that died meanwhile is restarted, a pod
// deleted meanwhile is stopped and removed. And the new agent supervises
// what it adopted: a container killed after the restart is restarted.
func TestNodeAgentRestartKeepsPods(t *testing.T) {
	w := startWorkloadCluster(t, 2)
	agent := w.lc.Nodes()[0]
	// A Deployment's pods (scheduled on either node) and two pods bound
	// to the node whose agent restarts.
	w.create(w.deploymentObject("keep", 4, "1", "0"))
	for _, name := range []string{"pinned-a", "pinned-b"} {
		w.createPinned(name, agent.Name)
	}
	pods := append(podNames(w.waitRunningReady(60*time.Second, "app=keep", 4)), "pinned-a", "pinned-b")
	addrs := w.waitAnswers(30*time.Second, pods...)
	runs := w.containerRuns(pods)

	// 1. The agent is SIGKILLed; its pods run on without it. One of its
	// containers dies meanwhile.
	began := time.Now()
	agent.Kill()
	killedPid := w.killContainer("pinned-a", addrs["pinned-a"])
	delete(runs, "pinned-a")
	w.checkRunsUnchanged(runs, addrs)
	setStopPodsOnExit(agent, false)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	barrier := w.waitAgentBack(agent.Name, "after-kill", []string{"pinned-b"})
	t.Logf("%s SIGKILLed and restarted; running new pods again %s later", agent.Name, since(began))
	w.checkRunsUnchanged(runs, addrs)
	w.waitRestarted("pinned-a", addrs["pinned-a"], killedPid, 1)
	all := slices.Concat(pods, []string{barrier})
	w.checkProcessesOnly(all)
	// The new agent watches the runs it adopted: kill one, it restarts it.
	w.killAndWaitRestart("pinned-b", addrs["pinned-b"], 1)
	addrs = w.waitAnswers(10*time.Second, all...)
	runs = w.containerRuns(all)

	// 2. SIGTERM to an agent without --stop-pods-on-exit: it exits
	// cleanly and leaves its pods running. One of its pods is deleted
	// meanwhile.
	began = time.Now()
	if err := agent.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !agent.Wait(30 * time.Second) {
		t.Fatalf("%s still running 30s after SIGTERM", agent.Name)
	}
	if code, _ := agent.ExitCode(); code != 0 {
		t.Errorf("%s exit code %d after SIGTERM, want 0", agent.Name, code)
	}
	w.checkRunsUnchanged(runs, addrs)
	ctx, cancel := w.ctx()
	_, err := w.cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: "default", Name: barrier})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	delete(runs, barrier)
	setStopPodsOnExit(agent, true) // so that the cluster's Stop stops its pods
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	barrier2 := w.waitAgentBack(agent.Name, "after-term", []string{"pinned-a", "pinned-b"})
	t.Logf("%s stopped with SIGTERM and restarted; running new pods again %s later", agent.Name, since(began))
	w.checkRunsUnchanged(runs, addrs)
	waitFor(t, 30*time.Second, "pod "+barrier+", deleted while its agent was away, to be stopped and removed", func() error {
		if _, err := w.getPod(barrier); status.Code(err) != codes.NotFound {
			return fmt.Errorf("Get: %v, want NotFound", err)
		}
		return nil
	})
	w.checkProcessesOnly(slices.Concat(pods, []string{barrier2}))
}

// createPinned creates a pod of the HTTP server bound to a node (no
// scheduler involved).
func (w *workloadCluster) createPinned(name, node string) {
	w.t.Helper()
	spec := w.serverSpec("v1")
	spec.NodeName = node
	w.create(apimeta.Wrap(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "pinned"}},
		Spec:     spec,
	}))
}

// setStopPodsOnExit adds or removes a stopped node agent's
// --stop-pods-on-exit flag for its next start.
func setStopPodsOnExit(p *localcluster.Proc, on bool) {
	p.Args = slices.DeleteFunc(p.Args, func(a string) bool { return a == "--stop-pods-on-exit" })
	if on {
		p.Args = append(p.Args, "--stop-pods-on-exit")
	}
}

// containerRun is what identifies one run of a pod's container.
type containerRun struct {
	pid         int
	restarts    int32
	containerID string
	startedAt   *timestamppb.Timestamp
}

// containerRuns records each pod's current container run.
func (w *workloadCluster) containerRuns(pods []string) map[string]containerRun {
	w.t.Helper()
	out := map[string]containerRun{}
	for _, name := range pods {
		p, err := w.getPod(name)
		if err != nil {
			w.t.Fatal(err)
		}
		cs := p.GetStatus().GetContainerStatuses()
		if len(cs) != 1 || cs[0].GetState().GetRunning() == nil || cs[0].GetContainerId() == "" {
			w.t.Fatalf("pod %s: container statuses %v", name, cs)
		}
		out[name] = containerRun{pid: w.onePid(name), restarts: cs[0].GetRestartCount(), containerID: cs[0].GetContainerId(),
			startedAt: cs[0].GetState().GetRunning().GetStartedAt()}
	}
	return out
}

// checkRunsUnchanged checks that every pod still runs the recorded run:
// the same single process (answering at its address), restart count,
// container id and start time, and is Running and Ready.
func (w *workloadCluster) checkRunsUnchanged(runs map[string]containerRun, addrs map[string]string) {
	w.t.Helper()
	procs := w.serverProcs()
	for name, r := range runs {
		if !slices.Equal(procs[name], []int{r.pid}) {
			w.t.Errorf("pod %s: container processes %v, want the same single process %d", name, procs[name], r.pid)
		}
		if got, err := httpGet(addrs[name], "/"); err != nil || got != name {
			w.t.Errorf("pod %s at %s answers %q, %v", name, addrs[name], got, err)
		}
		p, err := w.getPod(name)
		if err != nil {
			w.t.Fatal(err)
		}
		cs := p.GetStatus().GetContainerStatuses()
		if !runningReady(p) || len(cs) != 1 || cs[0].GetRestartCount() != r.restarts || cs[0].GetContainerId() != r.containerID ||
			!cs[0].GetState().GetRunning().GetStartedAt().AsTime().Equal(r.startedAt.AsTime()) {
			w.t.Errorf("pod %s changed: phase %s, container statuses %v; want restartCount %d, containerID %s, started %v",
				name, p.GetStatus().GetPhase(), cs, r.restarts, r.containerID, r.startedAt.AsTime())
		}
	}
}

// waitAgentBack waits until a restarted node agent serves and reports the
// pods it ran, then creates a pod bound to its node and waits until that
// one runs: the agent then watches its pods and runs their workers, so
// whatever it would do to the pods it adopted (start them again) it has
// had its chance to do. It returns the new pod's name.
func (w *workloadCluster) waitAgentBack(node, barrier string, pods []string) string {
	w.t.Helper()
	waitFor(w.t, 30*time.Second, node+" to serve and report its pods", func() error {
		st, err := w.agentStatus(node)
		if err != nil {
			return err
		}
		running := map[string]bool{}
		for _, p := range st.GetPodStatuses() {
			running[p.GetName()] = p.GetPhase() == "Running"
		}
		for _, p := range pods {
			if !running[p] {
				return fmt.Errorf("%s reports pods %v, want %s Running", node, st.GetPodStatuses(), p)
			}
		}
		return nil
	})
	w.createPinned(barrier, node)
	waitFor(w.t, 30*time.Second, "pod "+barrier+" to run on "+node, func() error {
		p, err := w.getPod(barrier)
		if err != nil {
			return err
		}
		if !runningReady(p) {
			return fmt.Errorf("pod %s: phase %s", barrier, p.GetStatus().GetPhase())
		}
		return nil
	})
	w.waitAnswers(30*time.Second, barrier)
	return barrier
}
