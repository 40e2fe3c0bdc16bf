package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/localcluster"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// outage is how long every master stays down.
const outage = 30 * time.Second

// TestControlPlaneDownWorkGoesOn stops all three masters for 30 s. Meanwhile
// the pods of a Deployment keep serving, and a container killed during
// the outage is restarted by its node agent alone (restart policy
// Always). When the masters return, the node agents resync without
// restarting anything else — the same processes, container ids and
// start times — and the killed pod's restart is reported.
func TestControlPlaneDownWorkGoesOn(t *testing.T) {
	w := startWorkloadCluster(t, 2)
	w.create(w.deploymentObject("cpdown", 3, "1", "0"))
	pods := podNames(w.waitRunningReady(60*time.Second, "app=cpdown", 3))
	addrs := w.waitAnswers(30*time.Second, pods...)
	runs := w.containerRuns(pods)
	victim := pods[0]
	victimPod, err := w.getPod(victim)
	if err != nil {
		t.Fatal(err)
	}
	victimNode := victimPod.GetSpec().GetNodeName()
	delete(runs, victim)

	began := time.Now()
	for _, m := range w.lc.Masters {
		m.Kill()
	}
	t.Logf("all %d masters SIGKILLed", len(w.lc.Masters))
	killedPid := w.killContainer(victim, addrs[victim])
	newAddr := w.waitRestartedLocally(victimNode, victim, addrs[victim], killedPid)
	t.Logf("pod %s: process %d SIGKILLed during the outage, restarted by its node agent and answering at %s %s later",
		victim, killedPid, newAddr, since(began))
	// Every other pod serves throughout the outage, from the same process.
	for time.Since(began) < outage {
		w.checkServing(runs, addrs)
		if t.Failed() {
			t.FailNow()
		}
		time.Sleep(time.Second)
	}

	restarted := time.Now()
	for _, m := range w.lc.Masters {
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
	}
	// The scheduler and controller exit when they lose their lease (a
	// supervisor restarts them, as it would in production).
	for _, p := range []*localcluster.Proc{w.lc.Scheduler(), w.lc.Controller()} {
		if p != nil && !p.Running() {
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, 60*time.Second, "the killed pod's restart to be reported", func() error {
		p, err := w.getPod(victim)
		if err != nil {
			return err
		}
		cs := p.GetStatus().GetContainerStatuses()
		if len(cs) != 1 || cs[0].GetRestartCount() != 1 || !runningReady(p) {
			return fmt.Errorf("pod %s: phase %s, container statuses %v", victim, p.GetStatus().GetPhase(), cs)
		}
		if last := cs[0].GetLastState().GetTerminated(); last.GetSignal() != 9 {
			return fmt.Errorf("pod %s: last state %v, want terminated by SIGKILL", victim, cs[0].GetLastState())
		}
		return nil
	})
	t.Logf("masters restarted; %s's restart reported %s later", victim, since(restarted))
	// The agents have resynced (one reported a status); a new pod on each
	// node runs, so any restart the resync would cause has had its chance.
	var all []string
	for _, n := range w.lc.Nodes() {
		all = append(all, w.waitAgentBack(n.Name, "after-outage-"+n.Name, nil))
	}
	w.checkRunsUnchanged(runs, addrs)
	all = append(all, pods...)
	w.checkProcessesOnly(all)
	w.waitDeploymentStatus("cpdown", 3)
}

// checkServing checks that every pod answers as itself from its recorded
// process — without asking the API, which is down.
func (w *workloadCluster) checkServing(runs map[string]containerRun, addrs map[string]string) {
	w.t.Helper()
	procs := w.serverProcs()
	for name, r := range runs {
		if len(procs[name]) != 1 || procs[name][0] != r.pid {
			w.t.Errorf("pod %s: container processes %v, want the same single process %d", name, procs[name], r.pid)
		}
		if got, err := httpGet(addrs[name], "/"); err != nil || got != name {
			w.t.Errorf("pod %s at %s answers %q, %v during the outage", name, addrs[name], got, err)
		}
	}
}

// waitRestartedLocally waits, with the API down, until a pod's killed
// container runs again as one new process that answers; its address is
// read from the node agent's own log endpoint. It returns that address.
func (w *workloadCluster) waitRestartedLocally(node, pod, oldAddr string, pid int) string {
	w.t.Helper()
	var addr string
	waitFor(w.t, 30*time.Second, "the node agent to restart "+pod+"'s killed container with the API down", func() error {
		pids := w.serverProcs()[pod]
		if len(pids) != 1 || pids[0] == pid {
			return fmt.Errorf("container processes %v (killed %d)", pids, pid)
		}
		log, err := w.agentLogs(node, pod)
		if err != nil {
			return err
		}
		m := listeningRE.FindAllStringSubmatch(log, -1)
		if len(m) == 0 {
			return fmt.Errorf("the new run has not logged its address yet (log %q)", log)
		}
		_, port, err := net.SplitHostPort(m[len(m)-1][1])
		if err != nil {
			return err
		}
		host, _, _ := net.SplitHostPort(oldAddr) // the pod keeps its IP
		addr = net.JoinHostPort(host, port)
		got, err := httpGet(addr, "/pid")
		if err != nil {
			return err
		}
		if got != strconv.Itoa(pids[0]) {
			return fmt.Errorf("%s /pid = %s, /proc says %d", addr, got, pids[0])
		}
		return nil
	})
	return addr
}

// agentLogs reads a pod's current log straight from its node agent.
func (w *workloadCluster) agentLogs(node, pod string) (string, error) {
	conn, err := grpc.NewClient(w.lc.WorkerAddrs()[node], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	ctx, cancel := w.ctx()
	defer cancel()
	stream, err := gantryv1.NewNodeAgentServiceClient(conn).PodLogs(ctx, &gantryv1.PodLogsRequest{Namespace: "default", Name: pod})
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return buf.String(), nil
		}
		if err != nil {
			return buf.String(), err
		}
		buf.Write(r.GetData())
	}
}
