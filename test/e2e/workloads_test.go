package e2e

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// TestDeploymentLifecycle runs a Deployment of a real HTTP server on a
// whole local cluster (3 masters, scheduler, controller, 2 node agents):
// its replicas run as processes that answer with their pod's name; it
// scales up and down, rolls out a new template within maxSurge 1 and
// maxUnavailable 0 (checked at every write the watch shows), restarts a
// replica whose process is SIGKILLed, and deleting it removes every
// ReplicaSet, pod and process.
func TestDeploymentLifecycle(t *testing.T) {
	w := startWorkloadCluster(t, 2)
	const name, selector = "web", "app=web"

	// Three replicas, spread over both nodes, each answering as itself.
	began := time.Now()
	dep := w.create(w.deploymentObject(name, 3, "1", "0")).GetDeployment()
	pods := w.waitRunningReady(60*time.Second, selector, 3)
	t.Logf("3 replicas Running and Ready %s after Create", since(began))
	nodes := map[string]int{}
	for _, p := range pods {
		nodes[p.GetSpec().GetNodeName()]++
	}
	if len(nodes) != 2 {
		t.Errorf("3 replicas on nodes %v, want them spread over n1 and n2", nodes)
	}
	w.checkPodIPs(pods)
	w.waitAnswers(30*time.Second, podNames(pods)...)
	t.Logf("all 3 answer with their names %s after Create (pods on %v)", since(began), nodes)
	w.checkOneProcessEach(podNames(pods))
	w.waitDeploymentStatus(name, 3)

	// Scale to 5: the three keep running, two more answer.
	began = time.Now()
	w.updateDeployment(name, func(d *gantryv1.Deployment) { d.Spec.Replicas = proto.Int32(5) })
	pods5 := w.waitRunningReady(60*time.Second, selector, 5)
	for _, p := range pods {
		if !slices.Contains(podNames(pods5), podName(p)) {
			t.Errorf("scaling up replaced pod %s (pods now %v)", podName(p), podNames(pods5))
		}
	}
	addrs := w.waitAnswers(30*time.Second, podNames(pods5)...)
	w.checkPodIPs(pods5)
	w.waitDeploymentStatus(name, 5)
	t.Logf("scaled to 5 (Running, Ready, answering, status 5 available) in %s", since(began))

	// Scale to 2: exactly two remain; the others' processes are gone and
	// their addresses no longer answer as them.
	began = time.Now()
	w.updateDeployment(name, func(d *gantryv1.Deployment) { d.Spec.Replicas = proto.Int32(2) })
	pods2 := w.waitRunningReady(60*time.Second, selector, 2)
	var removed []string
	for _, n := range podNames(pods5) {
		if !slices.Contains(podNames(pods2), n) {
			removed = append(removed, n)
		}
	}
	waitFor(t, 30*time.Second, "the removed pods' processes to be gone", func() error {
		procs := w.serverProcs()
		for _, n := range removed {
			if len(procs[n]) > 0 {
				return fmt.Errorf("pod %s still has processes %v", n, procs[n])
			}
		}
		return nil
	})
	// The ReplicaSet deletes the pods Ready for the shortest time first:
	// the two that scaling up added.
	for _, p := range pods5 {
		if !slices.Contains(podNames(pods), podName(p)) && !slices.Contains(removed, podName(p)) {
			t.Errorf("scaling down kept %s, Ready for less time than %v", podName(p), podNames(pods))
		}
	}
	w.checkNotAnswering(addrs, removed)
	w.checkOneProcessEach(podNames(pods2))
	w.waitAnswers(10*time.Second, podNames(pods2)...)
	w.waitDeploymentStatus(name, 2)
	t.Logf("scaled to 2 in %s: %v removed, their processes gone", since(began), removed)

	// A new template rolls out within maxSurge 1, maxUnavailable 0.
	began = time.Now()
	isNew := func(p *gantryv1.Pod) bool { return envValue(p, "VERSION") == "v2" }
	mon := w.watchRollout(selector, 2+1, 2-0, isNew)
	w.updateDeployment(name, func(d *gantryv1.Deployment) { setEnv(d.GetSpec().GetTemplate().GetSpec(), "VERSION", "v2") })
	waitFor(t, 60*time.Second, "the rollout to finish", func() error {
		if err := mon.finished(2); err != nil {
			return err
		}
		d, err := w.deployment(name)
		if err != nil {
			return err
		}
		st := d.GetStatus()
		if st.GetObservedGeneration() < d.GetMetadata().GetGeneration() || st.GetUpdatedReplicas() != 2 ||
			st.GetReplicas() != 2 || st.GetAvailableReplicas() != 2 {
			return fmt.Errorf("deployment status %v (generation %d)", st, d.GetMetadata().GetGeneration())
		}
		return nil
	})
	moments, peak, low := mon.report(t)
	t.Logf("rollout finished in %s; %d states watched: at most %d pods not terminating, at least %d Ready",
		since(began), moments, peak, low)
	if peak != 3 {
		t.Errorf("the rollout never used its surge: at most %d pods at once, want 3", peak)
	}
	w.checkReplicaSets(dep.GetMetadata().GetUid(), isNew)
	newPods := w.waitRunningReady(10*time.Second, selector, 2)
	addrs = w.waitAnswers(30*time.Second, podNames(newPods)...)
	for n, a := range addrs {
		if v, err := httpGet(a, "/version"); err != nil || v != "v2" {
			t.Errorf("pod %s /version = %q, %v; want v2", n, v, err)
		}
	}
	w.checkOneProcessEach(podNames(newPods))
	w.checkProcessesOnly(podNames(newPods))

	// SIGKILL one replica's process: the node agent restarts it.
	victim := podName(newPods[0])
	w.killAndWaitRestart(victim, addrs[victim], 1)
	w.waitDeploymentStatus(name, 2)

	// Delete the Deployment (background propagation): the garbage
	// collector removes its ReplicaSets, they their pods, the node agents
	// their processes.
	began = time.Now()
	ctx, cancel := w.ctx()
	_, err := w.cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindDeployment, Namespace: "default", Name: name})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "every ReplicaSet, pod and process of the Deployment to be gone", func() error {
		if _, err := w.deployment(name); status.Code(err) != codes.NotFound {
			return fmt.Errorf("Get Deployment: %v, want NotFound", err)
		}
		for _, kind := range []string{apimeta.KindReplicaSet, apimeta.KindPod} {
			items, err := w.list(kind, "")
			if err != nil {
				return err
			}
			if len(items) > 0 {
				return fmt.Errorf("%d %s objects left", len(items), kind)
			}
		}
		if procs := w.serverProcs(); len(procs) > 0 {
			return fmt.Errorf("container processes left: %v", procs)
		}
		return nil
	})
	t.Logf("Deployment deleted: its ReplicaSets, pods and processes gone in %s", since(began))
}

// killAndWaitRestart SIGKILLs a pod's container process and waits until
// the node agent has restarted it (see waitRestarted).
func (w *workloadCluster) killAndWaitRestart(pod, addr string, wantRestarts int32) {
	w.t.Helper()
	began := time.Now()
	pid := w.killContainer(pod, addr)
	newPid := w.waitRestarted(pod, addr, pid, wantRestarts)
	w.t.Logf("pod %s: process %d SIGKILLed, restarted as %d (restartCount %d), Ready and answering in %s",
		pod, pid, newPid, wantRestarts, since(began))
}

// killContainer SIGKILLs a pod's one container process (the one /proc
// shows, which must be the one answering at addr) and returns its pid.
func (w *workloadCluster) killContainer(pod, addr string) int {
	w.t.Helper()
	pid := w.onePid(pod)
	if got, err := httpGet(addr, "/pid"); err != nil || got != strconv.Itoa(pid) {
		w.t.Fatalf("pod %s at %s: /pid = %q, %v; /proc says its process is %d", pod, addr, got, err, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		w.t.Fatal(err)
	}
	return pid
}

// waitRestarted waits until a pod's killed container (process pid, which
// answered at addr) has restarted: restartCount wantRestarts, last state
// terminated by signal 9 with its log kept as the previous one, Ready
// again, one new process that answers. It returns the new pid.
func (w *workloadCluster) waitRestarted(pod, addr string, pid int, wantRestarts int32) int {
	w.t.Helper()
	waitFor(w.t, 30*time.Second, "the killed container of "+pod+" to be restarted and Ready", func() error {
		p, err := w.getPod(pod)
		if err != nil {
			return err
		}
		cs := p.GetStatus().GetContainerStatuses()
		if len(cs) != 1 || cs[0].GetRestartCount() != wantRestarts || !runningReady(p) || cs[0].GetState().GetRunning() == nil {
			return fmt.Errorf("pod %s: phase %s, container statuses %v", pod, p.GetStatus().GetPhase(), cs)
		}
		if last := cs[0].GetLastState().GetTerminated(); last.GetExitCode() != 137 || last.GetSignal() != 9 {
			w.t.Fatalf("pod %s: last state %v, want terminated by SIGKILL (exit code 137, signal 9)", pod, cs[0].GetLastState())
		}
		return nil
	})
	waitFor(w.t, 10*time.Second, "the old process to be gone", func() error {
		if pids := w.serverProcs()[pod]; slices.Contains(pids, pid) {
			return fmt.Errorf("pid %d still there", pid)
		}
		return nil
	})
	addrs := w.waitAnswers(30*time.Second, pod)
	// The killed run's log is still there, as the previous one.
	prev, err := w.logsOf(&gantryv1.LogsRequest{Namespace: "default", Name: pod, Previous: true})
	if _, port, _ := net.SplitHostPort(addr); err != nil || !strings.Contains(prev, "listening on ") || !strings.HasSuffix(strings.TrimSpace(prev), ":"+port) {
		w.t.Errorf("pod %s: previous log %q, %v; want the killed run's \"listening on ...:%s\"", pod, prev, err, port)
	}
	newPid := w.onePid(pod)
	if newPid == pid {
		w.t.Fatalf("pod %s: pid %d again after the restart", pod, pid)
	}
	if got, err := httpGet(addrs[pod], "/pid"); err != nil || got != strconv.Itoa(newPid) {
		w.t.Fatalf("pod %s: /pid = %q, %v after the restart; /proc says %d", pod, got, err, newPid)
	}
	return newPid
}

// checkNotAnswering checks that none of the named pods answers as itself
// at its old address any more (asked concurrently: a pod IP whose
// namespace is gone does not refuse, it times out).
func (w *workloadCluster) checkNotAnswering(addrs map[string]string, pods []string) {
	w.t.Helper()
	var wg sync.WaitGroup
	for _, n := range pods {
		wg.Go(func() {
			if got, err := httpGet(addrs[n], "/"); err == nil && got == n {
				w.t.Errorf("removed pod %s still answers at %s", n, addrs[n])
			}
		})
	}
	wg.Wait()
}

// checkOneProcessEach checks that each pod has exactly one container
// process (no duplicate).
func (w *workloadCluster) checkOneProcessEach(pods []string) {
	w.t.Helper()
	procs := w.serverProcs()
	for _, p := range pods {
		if len(procs[p]) != 1 {
			w.t.Errorf("pod %s has container processes %v, want exactly one", p, procs[p])
		}
	}
}

// checkProcessesOnly waits until the test's container processes belong
// to the given pods only (those of deleted pods are gone).
func (w *workloadCluster) checkProcessesOnly(pods []string) {
	w.t.Helper()
	waitFor(w.t, 30*time.Second, fmt.Sprintf("container processes to be those of %v only", pods), func() error {
		procs := w.serverProcs()
		if got := slices.Sorted(maps.Keys(procs)); !slices.Equal(got, slices.Sorted(slices.Values(pods))) {
			return fmt.Errorf("container processes of pods %v", procs)
		}
		return nil
	})
}

func (w *workloadCluster) deployment(name string) (*gantryv1.Deployment, error) {
	ctx, cancel := w.ctx()
	defer cancel()
	o, err := w.cl.Get(ctx, apimeta.KindDeployment, "default", name)
	if err != nil {
		return nil, err
	}
	return o.GetDeployment(), nil
}

// waitDeploymentStatus waits until the Deployment's status has caught up
// with its spec and counts n replicas, all updated, ready and available.
func (w *workloadCluster) waitDeploymentStatus(name string, n int32) {
	w.t.Helper()
	waitFor(w.t, 30*time.Second, fmt.Sprintf("Deployment %s status: %d available", name, n), func() error {
		d, err := w.deployment(name)
		if err != nil {
			return err
		}
		st := d.GetStatus()
		if st.GetObservedGeneration() < d.GetMetadata().GetGeneration() || st.GetReplicas() != n ||
			st.GetUpdatedReplicas() != n || st.GetReadyReplicas() != n || st.GetAvailableReplicas() != n ||
			st.GetUnavailableReplicas() != 0 {
			return fmt.Errorf("status %v at generation %d", st, d.GetMetadata().GetGeneration())
		}
		avail, prog := deploymentCondition(d, "Available"), deploymentCondition(d, "Progressing")
		if avail.GetStatus() != "True" || avail.GetReason() != "MinimumReplicasAvailable" ||
			prog.GetStatus() != "True" || prog.GetReason() != "NewReplicaSetAvailable" {
			return fmt.Errorf("conditions %v: want Available (MinimumReplicasAvailable) and Progressing (NewReplicaSetAvailable)", st.GetConditions())
		}
		return nil
	})
}

func deploymentCondition(d *gantryv1.Deployment, typ string) *gantryv1.Condition {
	for _, c := range d.GetStatus().GetConditions() {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}

// checkReplicaSets checks the Deployment's ReplicaSets after a rollout:
// two, owned by it; the new one (its template passes isNew) at 2, the old
// one scaled to 0 and kept as history.
func (w *workloadCluster) checkReplicaSets(owner string, isNew func(*gantryv1.Pod) bool) {
	w.t.Helper()
	waitFor(w.t, 30*time.Second, "one new ReplicaSet at 2 and the old one at 0", func() error {
		items, err := w.list(apimeta.KindReplicaSet, "")
		if err != nil {
			return err
		}
		var got []string
		ok := len(items) == 2
		for _, o := range items {
			rs := o.GetReplicaSet()
			owned := slices.ContainsFunc(rs.GetMetadata().GetOwnerReferences(), func(r *gantryv1.OwnerReference) bool {
				return r.GetUid() == owner && r.GetController()
			})
			tmpl := &gantryv1.Pod{Spec: rs.GetSpec().GetTemplate().GetSpec()}
			want := int32(0)
			if isNew(tmpl) {
				want = 2
			}
			ok = ok && owned && rs.GetSpec().GetReplicas() == want && rs.GetStatus().GetReplicas() == want
			got = append(got, fmt.Sprintf("%s(new=%v owned=%v spec=%d status=%d)", rs.GetMetadata().GetName(),
				isNew(tmpl), owned, rs.GetSpec().GetReplicas(), rs.GetStatus().GetReplicas()))
		}
		if !ok {
			return errors.New(fmt.Sprint(got))
		}
		return nil
	})
}

// envValue returns the value of a pod's first container's env variable.
func envValue(p *gantryv1.Pod, name string) string {
	for _, c := range p.GetSpec().GetContainers() {
		for _, e := range c.GetEnv() {
			if e.GetName() == name {
				return e.GetValue()
			}
		}
	}
	return ""
}

// setEnv sets an env variable of every container of a pod spec.
func setEnv(spec *gantryv1.PodSpec, name, value string) {
	for _, c := range spec.GetContainers() {
		for _, e := range c.GetEnv() {
			if e.GetName() == name {
				e.Value = value
			}
		}
	}
}
