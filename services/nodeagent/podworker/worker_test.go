package podworker

import (
	"context"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/nodeagent/admit"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"github.com/gantryio/gantry/services/nodeagent/runtime/simulated"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeRuntime is the simulated runtime recording stops and removals.
type fakeRuntime struct {
	*simulated.Runtime
	mu      sync.Mutex
	graces  []time.Duration
	removed []string
	starts  int
}

func (f *fakeRuntime) StartContainer(ctx context.Context, cc runtime.ContainerConfig) (*runtime.ContainerStatus, error) {
	f.mu.Lock()
	f.starts++
	f.mu.Unlock()
	return f.Runtime.StartContainer(ctx, cc)
}

func (f *fakeRuntime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	f.mu.Lock()
	f.graces = append(f.graces, grace)
	f.mu.Unlock()
	return f.Runtime.StopContainer(ctx, id, grace)
}

func (f *fakeRuntime) RemovePod(ctx context.Context, uid string) error {
	f.mu.Lock()
	f.removed = append(f.removed, uid)
	f.mu.Unlock()
	return f.Runtime.RemovePod(ctx, uid)
}

type fakeSink struct {
	mu     sync.Mutex
	latest map[string]*gantryv1.PodStatus
	writes int
}

func (s *fakeSink) Set(p *gantryv1.Pod) {
	s.mu.Lock()
	s.latest[p.GetMetadata().GetName()] = p.GetStatus()
	s.writes++
	s.mu.Unlock()
}

func (s *fakeSink) Forget(string, string) {}

func (s *fakeSink) get(name string) *gantryv1.PodStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest[name]
}

type fakeDeleter struct {
	mu      sync.Mutex
	deleted []string
}

func (d *fakeDeleter) DeletePod(_ context.Context, ns, name, uid string) error {
	d.mu.Lock()
	d.deleted = append(d.deleted, ns+"/"+name+"/"+uid)
	d.mu.Unlock()
	return nil
}

type harness struct {
	t     *testing.T
	clk   *clocktesting.FakeClock
	rt    *fakeRuntime
	sink  *fakeSink
	del   *fakeDeleter
	adm   *admit.Admitter
	m     *Manager
	alloc map[string]string
}

func newHarness(t *testing.T) *harness { return newHarnessWith(t, nil) }

// newHarnessWith builds the harness with a prober (nil: none).
func newHarnessWith(t *testing.T, pr Prober) *harness {
	h := &harness{t: t, clk: clocktesting.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		sink: &fakeSink{latest: map[string]*gantryv1.PodStatus{}}, del: &fakeDeleter{},
		alloc: map[string]string{"cpu": "2", "memory": "1Gi", "pods": "10"}}
	h.rt = &fakeRuntime{Runtime: simulated.New(h.clk.Now)}
	h.adm = admit.New(func() admit.Node { return admit.Node{Allocatable: h.alloc} })
	cfg := DefaultConfig()
	cfg.NodeName, cfg.HostIP, cfg.Clock = "n1", "127.0.0.1", h.clk
	h.m = New(cfg, Deps{Runtime: h.rt, Status: h.sink, Deleter: h.del, Admitter: h.adm, Prober: pr}, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func newPod(name, policy string, containers ...string) *gantryv1.Pod {
	p := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name, Uid: "uid-" + name},
		Spec: &gantryv1.PodSpec{NodeName: "n1", RestartPolicy: policy}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, &gantryv1.Container{Name: c, Image: "img", Command: []string{"run"}})
	}
	return p
}

// waitFor polls the pod's latest reported status until ok holds.
func (h *harness) waitFor(name, what string, ok func(*gantryv1.PodStatus) bool) *gantryv1.PodStatus {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := h.sink.get(name)
		if st != nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("pod %s never got %s; last status: %v", name, what, st)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// step advances the fake clock once a worker waits on it.
func (h *harness) step(d time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !h.clk.HasWaiters() {
		if time.Now().After(deadline) {
			h.t.Fatal("no worker waits on the clock")
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.clk.Step(d)
}

func cstate(st *gantryv1.PodStatus, i int) *gantryv1.ContainerStatus {
	return st.GetContainerStatuses()[i]
}

func condition(st *gantryv1.PodStatus, typ string) string {
	for _, c := range st.GetConditions() {
		if c.GetType() == typ {
			return c.GetStatus()
		}
	}
	return ""
}

func TestPodRunsAndIsReady(t *testing.T) {
	h := newHarness(t)
	h.m.Update(newPod("web", "Always", "a", "b"))
	st := h.waitFor("web", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	if condition(st, "Ready") != "True" || condition(st, "ContainersReady") != "True" || condition(st, "PodScheduled") != "True" {
		t.Fatalf("conditions = %v", st.GetConditions())
	}
	for i := range 2 {
		cs := cstate(st, i)
		if cs.GetState().GetRunning() == nil || !cs.GetReady() || !cs.GetStarted() || cs.GetRestartCount() != 0 || cs.GetContainerId() == "" {
			t.Fatalf("container %d = %v", i, cs)
		}
	}
	if st.GetPodIp() != "127.0.0.1" || st.GetHostIp() != "127.0.0.1" || st.GetStartTime() == nil {
		t.Fatalf("addresses/start = %q %q %v", st.GetPodIp(), st.GetHostIp(), st.GetStartTime())
	}
	if pods := h.m.Pods(); len(pods) != 1 || pods[0].Phase != "Running" {
		t.Fatalf("Pods() = %+v", pods)
	}
}

func TestRestartAlwaysWithExponentialBackoff(t *testing.T) {
	h := newHarness(t)
	p := newPod("crash", "Always", "c")
	h.m.Update(p)
	h.waitFor("crash", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	uid := p.GetMetadata().GetUid()

	// The first exit is restarted at once.
	if err := h.rt.Exit(uid, "c", 1); err != nil {
		t.Fatal(err)
	}
	h.waitFor("crash", "restart 1", func(s *gantryv1.PodStatus) bool {
		cs := cstate(s, 0)
		return cs.GetRestartCount() == 1 && cs.GetState().GetRunning() != nil && cs.GetLastState().GetTerminated().GetExitCode() == 1
	})
	// Then each restart waits: 10s, 20s, ...
	for i, delay := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		if err := h.rt.Exit(uid, "c", 2); err != nil {
			t.Fatal(err)
		}
		st := h.waitFor("crash", "CrashLoopBackOff", func(s *gantryv1.PodStatus) bool {
			return cstate(s, 0).GetState().GetWaiting().GetReason() == "CrashLoopBackOff"
		})
		if st.GetPhase() != "Running" || cstate(st, 0).GetLastState().GetTerminated().GetExitCode() != 2 || condition(st, "Ready") != "False" {
			t.Fatalf("in back-off: phase %s, %v", st.GetPhase(), cstate(st, 0))
		}
		h.step(delay - time.Second)
		if got := cstate(h.sink.get("crash"), 0).GetRestartCount(); got != int32(i+1) {
			t.Fatalf("restarted after %s of a %s back-off (restartCount %d)", delay-time.Second, delay, got)
		}
		h.step(time.Second)
		h.waitFor("crash", "restart after back-off", func(s *gantryv1.PodStatus) bool {
			cs := cstate(s, 0)
			return cs.GetRestartCount() == int32(i+2) && cs.GetState().GetRunning() != nil
		})
	}
}

func TestRestartPolicies(t *testing.T) {
	h := newHarness(t)
	ok := newPod("ok", "OnFailure", "c")
	h.m.Update(ok)
	h.waitFor("ok", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	_ = h.rt.Exit(ok.GetMetadata().GetUid(), "c", 0)
	st := h.waitFor("ok", "Succeeded", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Succeeded" })
	if cstate(st, 0).GetState().GetTerminated().GetReason() != "Completed" || condition(st, "Ready") != "False" {
		t.Fatalf("succeeded pod: %v", st)
	}

	retry := newPod("retry", "OnFailure", "c")
	h.m.Update(retry)
	h.waitFor("retry", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	_ = h.rt.Exit(retry.GetMetadata().GetUid(), "c", 3)
	h.waitFor("retry", "restarted", func(s *gantryv1.PodStatus) bool { return cstate(s, 0).GetRestartCount() == 1 })

	never := newPod("never", "Never", "a", "b")
	h.m.Update(never)
	h.waitFor("never", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	_ = h.rt.Exit(never.GetMetadata().GetUid(), "a", 0)
	st = h.waitFor("never", "a exited", func(s *gantryv1.PodStatus) bool { return cstate(s, 0).GetState().GetTerminated() != nil })
	if st.GetPhase() != "Running" {
		t.Fatalf("one container still runs: phase %s", st.GetPhase())
	}
	_ = h.rt.Exit(never.GetMetadata().GetUid(), "b", 4)
	st = h.waitFor("never", "Failed", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Failed" })
	if cstate(st, 1).GetState().GetTerminated().GetExitCode() != 4 || cstate(st, 1).GetRestartCount() != 0 {
		t.Fatalf("failed pod: %v", st)
	}
	// Finished pods give their share of the node back.
	deadline := time.Now().Add(5 * time.Second)
	for h.adm.Count() != 1 { // only "retry" still counts
		if time.Now().After(deadline) {
			t.Fatalf("admitted = %d, want 1", h.adm.Count())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestAdmissionRefusesWhatDoesNotFit(t *testing.T) {
	h := newHarness(t)
	big := newPod("big", "Always", "c")
	big.Spec.Containers[0].Resources = &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": "3"}}
	h.m.Update(big)
	st := h.waitFor("big", "Failed", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Failed" })
	if st.GetReason() != "OutOfcpu" || st.GetMessage() == "" {
		t.Fatalf("status = %v, want OutOfcpu", st)
	}
	if n := len(h.rt.PodContainers(big.GetMetadata().GetUid())); n != 0 {
		t.Fatalf("%d containers started for a refused pod", n)
	}
}

func TestGracefulDelete(t *testing.T) {
	h := newHarness(t)
	p := newPod("web", "Always", "a", "b")
	h.m.Update(p)
	h.waitFor("web", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	del := newPod("web", "Always", "a", "b")
	grace := int64(7)
	del.Metadata.DeletionTimestamp, del.Metadata.DeletionGracePeriodSeconds = timestamppb.Now(), &grace
	h.m.Update(del)
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.del.mu.Lock()
		n := len(h.del.deleted)
		h.del.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pod never deleted")
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	if len(h.rt.graces) != 2 || h.rt.graces[0] != 7*time.Second || h.rt.graces[1] != 7*time.Second {
		t.Fatalf("stop graces = %v, want the deletion's 7s for both containers", h.rt.graces)
	}
	if len(h.rt.removed) != 1 || h.del.deleted[0] != "default/web/uid-web" {
		t.Fatalf("removed %v, deleted %v", h.rt.removed, h.del.deleted)
	}
	if h.m.worker("uid-web", false) != nil {
		t.Fatal("worker kept after delete")
	}
}

func TestForceDeletedAndOrphanedPodsAreStopped(t *testing.T) {
	h := newHarness(t)
	p := newPod("gone", "Always", "c")
	h.m.Update(p)
	h.waitFor("gone", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	h.m.Remove(p)
	// An orphan: the runtime runs a pod the API does not know.
	ctx := context.Background()
	_, _ = h.rt.Runtime.RunSandbox(ctx, runtime.SandboxConfig{UID: "orphan"})
	_, _ = h.rt.Runtime.StartContainer(ctx, runtime.ContainerConfig{PodUID: "orphan", Name: "c"})
	h.m.CleanupOrphans(ctx, func(uid string) bool { return uid == "uid-gone" })
	deadline := time.Now().Add(5 * time.Second)
	for len(h.rt.Pods()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pods left in the runtime: %v", h.rt.Pods())
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	for _, g := range h.rt.graces {
		if g != DefaultConfig().OrphanGrace {
			t.Fatalf("graces = %v, want OrphanGrace", h.rt.graces)
		}
	}
	if len(h.del.deleted) != 0 {
		t.Fatalf("deleted %v: a pod gone from the API needs no delete", h.del.deleted)
	}
}

func TestRunningContainersAreAdoptedNotRestarted(t *testing.T) {
	h := newHarness(t)
	p := newPod("kept", "Always", "c")
	st0, _ := h.rt.Runtime.StartContainer(context.Background(), runtime.ContainerConfig{PodUID: "uid-kept", Name: "c"})
	h.m.Update(p)
	st := h.waitFor("kept", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	if cstate(st, 0).GetContainerId() != "simulated://"+st0.ID {
		t.Fatalf("container id %s, want the adopted %s", cstate(st, 0).GetContainerId(), st0.ID)
	}
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	if h.rt.starts != 0 {
		t.Fatalf("%d containers started; the running one should have been kept", h.rt.starts)
	}
}

func TestUnchangedStatusIsNotWrittenAgain(t *testing.T) {
	h := newHarness(t)
	p := newPod("quiet", "Always", "c")
	h.m.Update(p)
	st := h.waitFor("quiet", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	// The agent's own status write comes back through the informer.
	echo := newPod("quiet", "Always", "c")
	echo.Status = st
	h.m.Update(echo)
	h.m.Update(echo)
	time.Sleep(50 * time.Millisecond) // nothing to wait for: proving a non-event
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	if h.sink.writes != 1 {
		t.Fatalf("%d status writes, want 1", h.sink.writes)
	}
}
