package nodeagent

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func condStatus(conds []*gantryv1.Condition, typ string) string {
	for _, c := range conds {
		if c.GetType() == typ {
			return c.GetStatus()
		}
	}
	return ""
}

func TestNodeRegistersAndRenewsItsLease(t *testing.T) {
	e := newEnv(t)
	cfg := e.testConfig("n1", t.TempDir())
	cfg.Labels = map[string]string{"zone": "a"}
	r := e.start(cfg)
	var node *gantryv1.Node
	testutil.Eventually(t, 10*time.Second, func() error {
		o, err := e.get("Node", "", "n1")
		if err != nil {
			return err
		}
		node = o.GetNode()
		if condStatus(node.GetStatus().GetConditions(), "Ready") != "True" {
			return fmt.Errorf("not Ready: %v", node.GetStatus().GetConditions())
		}
		return nil
	})
	st := node.GetStatus()
	_, port, _ := net.SplitHostPort(r.a.Addr())
	if p, _ := strconv.Atoi(port); st.GetDaemonEndpoints().GetKubeletEndpoint().GetPort() != int32(p) {
		t.Fatalf("daemon endpoint %v, agent listens on %s", st.GetDaemonEndpoints(), r.a.Addr())
	}
	if st.GetCapacity()["pods"] != "110" || st.GetCapacity()["cpu"] == "" || st.GetAllocatable()["memory"] == "" {
		t.Fatalf("capacity %v allocatable %v", st.GetCapacity(), st.GetAllocatable())
	}
	if st.GetAddresses()[0].GetType() != "InternalIP" || st.GetAddresses()[0].GetAddress() != "127.0.0.1" {
		t.Fatalf("addresses %v", st.GetAddresses())
	}
	l := node.GetMetadata().GetLabels()
	if l["kubernetes.io/hostname"] != "n1" || l["zone"] != "a" {
		t.Fatalf("labels %v", l)
	}
	if st.GetNodeInfo().GetKubeletVersion() != "test" || st.GetNodeInfo().GetKernelVersion() == "" {
		t.Fatalf("node info %v", st.GetNodeInfo())
	}
	if os.Geteuid() != 0 && !strings.Contains(condMessage(st.GetConditions(), "Ready"), "host network") {
		t.Fatalf("Ready should say pods use the host network: %v", st.GetConditions())
	}
	// The lease is renewed: its renewTime moves.
	first := leaseRenew(t, e)
	testutil.Eventually(t, 5*time.Second, func() error {
		if got := leaseRenew(t, e); !got.After(first) {
			return fmt.Errorf("lease renewTime still %v", got)
		}
		return nil
	})
	o, _ := e.get("Lease", "gantry-node-lease", "n1")
	ls := o.GetLease()
	if ls.GetSpec().GetHolderIdentity() != "n1" || ls.GetSpec().GetLeaseDurationSeconds() != 40 ||
		len(ls.GetMetadata().GetOwnerReferences()) != 1 || ls.GetMetadata().GetOwnerReferences()[0].GetUid() != node.GetMetadata().GetUid() {
		t.Fatalf("lease = %v", ls)
	}
}

func condMessage(conds []*gantryv1.Condition, typ string) string {
	for _, c := range conds {
		if c.GetType() == typ {
			return c.GetMessage()
		}
	}
	return ""
}

func leaseRenew(t *testing.T, e *env) time.Time {
	t.Helper()
	var renew time.Time
	testutil.Eventually(t, 10*time.Second, func() error {
		o, err := e.get("Lease", "gantry-node-lease", "n1")
		if err != nil {
			return err
		}
		renew = o.GetLease().GetSpec().GetRenewTime().AsTime()
		return nil
	})
	return renew
}

func running(p *gantryv1.Pod) error {
	if p.GetStatus().GetPhase() != "Running" || condStatus(p.GetStatus().GetConditions(), "Ready") != "True" {
		return fmt.Errorf("phase %q, conditions %v", p.GetStatus().GetPhase(), p.GetStatus().GetConditions())
	}
	return nil
}

// pidOf reads the pid of a container run from the runtime's state.
func pidOf(t *testing.T, dataDir, uid, container string, attempt int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(runDir(dataDir, uid, container, attempt), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Pid int }
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.Pid
}

func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}

func TestPodLifecycleWithRealProcesses(t *testing.T) {
	e := newEnv(t)
	dataDir := t.TempDir()
	cfg := e.testConfig("n1", dataDir)
	r := e.start(cfg)
	pod := e.createPod(shPod("web", "n1", `echo hi; echo "host=$HOSTNAME"; exec sleep 1000`))
	uid := pod.GetMetadata().GetUid()
	pod = e.waitPod("web", 20*time.Second, running)
	cs := pod.GetStatus().GetContainerStatuses()
	if len(cs) != 1 || cs[0].GetState().GetRunning() == nil || !cs[0].GetReady() || cs[0].GetRestartCount() != 0 ||
		!strings.HasPrefix(cs[0].GetContainerId(), "process://") || pod.GetStatus().GetPodIp() != "127.0.0.1" ||
		pod.GetStatus().GetHostIp() != "127.0.0.1" || pod.GetStatus().GetStartTime() == nil {
		t.Fatalf("status = %v", pod.GetStatus())
	}
	// Logs through the apiserver's PodService, proxied to the agent.
	testutil.Eventually(t, 10*time.Second, func() error {
		got, err := e.logs(&gantryv1.LogsRequest{Name: "web"})
		if err != nil || got != "hi\nhost=web\n" {
			return fmt.Errorf("logs %q, %v", got, err)
		}
		return nil
	})
	if got, err := e.logs(&gantryv1.LogsRequest{Name: "web", TailLines: ptr(int64(1))}); err != nil || got != "host=web\n" {
		t.Fatalf("tail 1: %q, %v", got, err)
	}
	if _, err := e.logs(&gantryv1.LogsRequest{Name: "web", Container: "nope"}); status.Code(err) != codes.NotFound {
		t.Fatalf("logs of an unknown container: %v", err)
	}
	agentStatus(t, r.a.Addr(), 1)
	pid := pidOf(t, dataDir, uid, "main", 0)

	// A restarted agent adopts the running container: same process, no
	// second run, the pod stays Running.
	r.stop()
	if !processAlive(pid) {
		t.Fatal("stopping the agent stopped its pod")
	}
	cfg.Listen = r.a.Addr() // the Node keeps pointing at the right port
	r2 := e.start(cfg)
	agentStatus(t, r2.a.Addr(), 1)
	pod = e.waitPod("web", 10*time.Second, running)
	if cs := pod.GetStatus().GetContainerStatuses()[0]; cs.GetRestartCount() != 0 || cs.GetContainerId() != pod.GetStatus().GetContainerStatuses()[0].GetContainerId() {
		t.Fatalf("after agent restart: %v", cs)
	}
	if _, err := os.Stat(runDir(dataDir, uid, "main", 1)); !os.IsNotExist(err) {
		t.Fatalf("a second run was started: %v", err)
	}
	if got := pidOf(t, dataDir, uid, "main", 0); got != pid || !processAlive(pid) {
		t.Fatalf("pid %d (alive %v), want the adopted %d", got, processAlive(pid), pid)
	}
	if got, err := e.logs(&gantryv1.LogsRequest{Name: "web"}); err != nil || got != "hi\nhost=web\n" {
		t.Fatalf("logs after restart: %q, %v", got, err)
	}

	// Graceful delete: the process goes, then the pod object.
	if _, err := e.res.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: "Pod", Namespace: "default", Name: "web"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() error {
		if _, err := e.get("Pod", "default", "web"); status.Code(err) != codes.NotFound {
			return fmt.Errorf("pod still there: %v", err)
		}
		if processAlive(pid) {
			return fmt.Errorf("process %d still runs", pid)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(dataDir, "runtime", "pods", uid)); !os.IsNotExist(err) {
		t.Fatalf("pod state left behind: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func agentStatus(t *testing.T, addr string, wantPods int) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testutil.Eventually(t, 10*time.Second, func() error {
		st, err := gantryv1.NewNodeAgentServiceClient(conn).Status(context.Background(), &gantryv1.NodeAgentServiceStatusRequest{})
		if err != nil {
			return err
		}
		if st.GetPods() != int32(wantPods) || st.GetRuntime() != "process" || st.GetNodeName() != "n1" {
			return fmt.Errorf("status = %v", st)
		}
		return nil
	})
}

func TestCrashLoopRefusalAndTerminalPhases(t *testing.T) {
	e := newEnv(t)
	e.start(e.testConfig("n1", t.TempDir()))
	e.createPod(shPod("crash", "n1", `echo boom; exit 3`))
	never := shPod("once", "n1", `exit 0`)
	never.Spec.RestartPolicy = "Never"
	e.createPod(never)
	failing := shPod("fails", "n1", `exit 2`)
	failing.Spec.RestartPolicy = "Never"
	e.createPod(failing)
	big := shPod("big", "n1", `sleep 1000`)
	big.Spec.Containers[0].Resources = &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": "1000"}}
	e.createPod(big)

	e.waitPod("crash", 20*time.Second, func(p *gantryv1.Pod) error {
		cs := p.GetStatus().GetContainerStatuses()
		if len(cs) == 0 || cs[0].GetRestartCount() < 2 || cs[0].GetLastState().GetTerminated().GetExitCode() != 3 {
			return fmt.Errorf("status %v", p.GetStatus())
		}
		if p.GetStatus().GetPhase() != "Running" {
			return fmt.Errorf("a crash-looping Always pod is Running, got %s", p.GetStatus().GetPhase())
		}
		return nil
	})
	e.waitPod("crash", 20*time.Second, func(p *gantryv1.Pod) error {
		if r := p.GetStatus().GetContainerStatuses()[0].GetState().GetWaiting().GetReason(); r != "CrashLoopBackOff" {
			return fmt.Errorf("waiting reason %q", r)
		}
		return nil
	})
	if got, err := e.logs(&gantryv1.LogsRequest{Name: "crash", Previous: true}); err != nil || got != "boom\n" {
		t.Fatalf("previous logs: %q, %v", got, err)
	}
	e.waitPod("once", 20*time.Second, func(p *gantryv1.Pod) error {
		if p.GetStatus().GetPhase() != "Succeeded" {
			return fmt.Errorf("phase %s", p.GetStatus().GetPhase())
		}
		return nil
	})
	e.waitPod("fails", 20*time.Second, func(p *gantryv1.Pod) error {
		cs := p.GetStatus().GetContainerStatuses()
		if p.GetStatus().GetPhase() != "Failed" || len(cs) != 1 || cs[0].GetState().GetTerminated().GetExitCode() != 2 {
			return fmt.Errorf("status %v", p.GetStatus())
		}
		return nil
	})
	e.waitPod("big", 20*time.Second, func(p *gantryv1.Pod) error {
		if p.GetStatus().GetPhase() != "Failed" || p.GetStatus().GetReason() != "OutOfcpu" {
			return fmt.Errorf("status %v", p.GetStatus())
		}
		return nil
	})
	// A finished pod is deleted at once; a crash-looping one after its
	// containers stop.
	for _, name := range []string{"once", "crash"} {
		if _, err := e.res.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: "Pod", Namespace: "default", Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 20*time.Second, func() error {
		for _, name := range []string{"once", "crash"} {
			if _, err := e.get("Pod", "default", name); status.Code(err) != codes.NotFound {
				return fmt.Errorf("pod %s: %v", name, err)
			}
		}
		return nil
	})
}

func TestGracePeriodEndsWithSIGKILL(t *testing.T) {
	e := newEnv(t)
	dataDir := t.TempDir()
	e.start(e.testConfig("n1", dataDir))
	p := shPod("stubborn", "n1", `trap '' TERM; echo ready; while :; do sleep 0.1; done`)
	p.Spec.TerminationGracePeriodSeconds = ptr(int64(1))
	uid := e.createPod(p).GetMetadata().GetUid()
	e.waitPod("stubborn", 20*time.Second, running)
	pid := pidOf(t, dataDir, uid, "main", 0)
	begin := time.Now()
	if _, err := e.res.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: "Pod", Namespace: "default", Name: "stubborn"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() error {
		if _, err := e.get("Pod", "default", "stubborn"); status.Code(err) != codes.NotFound {
			return fmt.Errorf("pod still there: %v", err)
		}
		return nil
	})
	if took := time.Since(begin); took < time.Second {
		t.Fatalf("deleted after %s: the 1s grace period was not honoured", took)
	}
	if processAlive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("process survived SIGKILL")
	}
}
