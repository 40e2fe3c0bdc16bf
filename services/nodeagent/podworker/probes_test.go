package podworker

import (
	"context"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/nodeagent/prober"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeProber answers what the test sets per run; runs it was told
// nothing of are started but not ready (a readiness probe not passed yet).
type fakeProber struct {
	mu      sync.Mutex
	pods    map[string]prober.Pod
	status  map[string]prober.Status // by run id
	removed map[string]bool
}

func newFakeProber() *fakeProber {
	return &fakeProber{pods: map[string]prober.Pod{}, status: map[string]prober.Status{}, removed: map[string]bool{}}
}

func (f *fakeProber) Sync(p prober.Pod) {
	f.mu.Lock()
	f.pods[p.UID] = p
	f.mu.Unlock()
}

func (f *fakeProber) Remove(uid string) {
	f.mu.Lock()
	f.removed[uid] = true
	f.mu.Unlock()
}

func (f *fakeProber) Status(_, _, runID string) prober.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.status[runID]; ok {
		return st
	}
	return prober.Status{Started: true}
}

func (f *fakeProber) set(runID string, st prober.Status) {
	f.mu.Lock()
	f.status[runID] = st
	f.mu.Unlock()
}

// run returns the latest run the prober was told of.
func (f *fakeProber) run(t *testing.T, uid, container string) prober.Run {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		r, ok := f.pods[uid].Runs[container]
		f.mu.Unlock()
		if ok && r.Running {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the prober was never told of a running %s", container)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestReadinessDecidesReady(t *testing.T) {
	pr := newFakeProber()
	h := newHarnessWith(t, pr)
	p := newPod("web", "Always", "c")
	h.m.Update(p)
	st := h.waitFor("web", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	cs := cstate(st, 0)
	if cs.GetReady() || !cs.GetStarted() || condition(st, "Ready") != "False" || condition(st, "ContainersReady") != "False" {
		t.Fatalf("running, readiness not passed: %v, conditions %v", cs, st.GetConditions())
	}
	run := pr.run(t, "uid-web", "c")
	pr.mu.Lock()
	sent := pr.pods["uid-web"]
	pr.mu.Unlock()
	if sent.IP != "127.0.0.1" || !sent.HostNetwork || len(sent.Containers) != 1 || run.ID == "" || run.StartedAt.IsZero() {
		t.Fatalf("the prober was told %+v", sent)
	}
	// The probe passes: the pod worker is poked and reports Ready.
	pr.set(run.ID, prober.Status{Started: true, Ready: true})
	h.m.Poke("uid-web")
	h.waitFor("web", "Ready", func(s *gantryv1.PodStatus) bool {
		return condition(s, "Ready") == "True" && condition(s, "ContainersReady") == "True" && cstate(s, 0).GetReady()
	})
	// Not started yet (a startup probe pending): neither started nor ready.
	pr.set(run.ID, prober.Status{})
	h.m.Poke("uid-web")
	st = h.waitFor("web", "not started", func(s *gantryv1.PodStatus) bool { return !cstate(s, 0).GetStarted() })
	if cstate(st, 0).GetReady() || condition(st, "Ready") != "False" {
		t.Fatalf("not started: %v", st)
	}
	// Deleting the pod stops its probes.
	del := newPod("web", "Always", "c")
	del.Metadata.DeletionTimestamp = timestamppb.Now()
	h.m.Update(del)
	deadline := time.Now().Add(5 * time.Second)
	for {
		pr.mu.Lock()
		gone := pr.removed["uid-web"]
		pr.mu.Unlock()
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("probes of a deleted pod never removed")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestLivenessFailureRestartsTheContainer(t *testing.T) {
	pr := newFakeProber()
	h := newHarnessWith(t, pr)
	// OnFailure: the simulated runtime's SIGTERM exit is a clean 0, yet a
	// container killed by its probe is restarted all the same.
	p := newPod("live", "OnFailure", "c")
	h.m.Update(p)
	h.waitFor("live", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	run := pr.run(t, "uid-live", "c")
	pr.set(run.ID, prober.Status{Started: true, Ready: true, Kill: true, Message: "Liveness probe failed: HTTP probe failed with statuscode: 500",
		Probe: &gantryv1.Probe{TerminationGracePeriodSeconds: proto.Int64(3)}})
	h.m.Poke("uid-live")
	st := h.waitFor("live", "restart", func(s *gantryv1.PodStatus) bool {
		cs := cstate(s, 0)
		return cs.GetRestartCount() == 1 && cs.GetState().GetRunning() != nil
	})
	last := cstate(st, 0).GetLastState().GetTerminated()
	if last.GetMessage() != "Liveness probe failed: HTTP probe failed with statuscode: 500" || last.GetContainerId() != "simulated://"+run.ID {
		t.Fatalf("last state %v", last)
	}
	h.rt.mu.Lock()
	graces := append([]time.Duration(nil), h.rt.graces...)
	h.rt.mu.Unlock()
	if len(graces) != 1 || graces[0] != 3*time.Second {
		t.Fatalf("stop graces %v, want the probe's 3s", graces)
	}
	// The new run is the prober's to judge afresh.
	if next := pr.run(t, "uid-live", "c"); next.ID == run.ID {
		t.Fatal("the prober still sees the killed run")
	}
}

func TestLivenessFailureWithRestartNever(t *testing.T) {
	pr := newFakeProber()
	h := newHarnessWith(t, pr)
	p := newPod("once", "Never", "c")
	p.Spec.TerminationGracePeriodSeconds = proto.Int64(9)
	h.m.Update(p)
	h.waitFor("once", "Running", func(s *gantryv1.PodStatus) bool { return s.GetPhase() == "Running" })
	run := pr.run(t, "uid-once", "c")
	pr.set(run.ID, prober.Status{Started: true, Kill: true, Message: "Startup probe failed: x", Probe: &gantryv1.Probe{}})
	h.m.Poke("uid-once")
	st := h.waitFor("once", "finished", func(s *gantryv1.PodStatus) bool { return isTerminal(s.GetPhase()) })
	cs := cstate(st, 0)
	if cs.GetRestartCount() != 0 || cs.GetState().GetTerminated().GetMessage() != "Startup probe failed: x" {
		t.Fatalf("killed container with restartPolicy Never: %v", cs)
	}
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	if len(h.rt.graces) == 0 || h.rt.graces[0] != 9*time.Second {
		t.Fatalf("stop graces %v, want the pod's 9s (the probe sets none)", h.rt.graces)
	}
}

// A restarted agent adopts a running container its predecessor reported
// ready: it stays ready until its probes say otherwise (no flap to not
// ready while they have not run yet).
func TestAdoptedReadyContainerStaysReadyUntilProbed(t *testing.T) {
	pr := newFakeProber()
	h := newHarnessWith(t, pr)
	run, err := h.rt.Runtime.StartContainer(context.Background(), runtime.ContainerConfig{PodUID: "uid-kept", Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	pr.set(run.ID, prober.Status{StartupPending: true, ReadinessPending: true})
	p := newPod("kept", "Always", "c")
	started := true
	p.Status = &gantryv1.PodStatus{Phase: "Running", ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "c",
		ContainerId: "simulated://" + run.ID, Ready: true, Started: &started,
		State: &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{StartedAt: timestamppb.New(run.StartedAt)}}}}}
	h.m.Update(p)
	st := h.waitFor("kept", "a status", func(s *gantryv1.PodStatus) bool { return len(s.GetContainerStatuses()) == 1 })
	if cs := cstate(st, 0); !cs.GetReady() || !cs.GetStarted() || condition(st, "Ready") != "True" {
		t.Fatalf("adopted, probes pending: %v, conditions %v", cs, st.GetConditions())
	}
	// Startup passes, readiness still pending: still ready.
	pr.set(run.ID, prober.Status{Started: true, ReadinessPending: true})
	h.m.Poke("uid-kept")
	// Readiness fails: not ready.
	pr.set(run.ID, prober.Status{Started: true})
	h.m.Poke("uid-kept")
	h.waitFor("kept", "not Ready", func(s *gantryv1.PodStatus) bool {
		return condition(s, "Ready") == "False" && !cstate(s, 0).GetReady() && cstate(s, 0).GetStarted()
	})
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	if h.rt.starts != 0 {
		t.Fatalf("%d starts: the adopted container must be kept", h.rt.starts)
	}
}

func TestProbeViewKeepsReportedStateWhilePending(t *testing.T) {
	pr := newFakeProber()
	w := &worker{m: &Manager{deps: Deps{Prober: pr}}, uid: "u"}
	view := probeView{w: w, prefix: "x://"}
	report := func(id string, started, ready bool) {
		w.sent = &gantryv1.PodStatus{ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "c", ContainerId: "x://" + id,
			Started: &started, Ready: ready, State: &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{}}}}}
	}
	cases := []struct {
		name                   string
		reported               func()
		status                 prober.Status
		wantStarted, wantReady bool
	}{
		{"nothing reported: the prober's guesses", func() { w.sent = nil }, prober.Status{StartupPending: true, ReadinessPending: true}, false, false},
		{"another run reported", func() { report("old", true, true) }, prober.Status{ReadinessPending: true, Started: true}, true, false},
		{"reported ready, all pending", func() { report("r1", true, true) }, prober.Status{StartupPending: true, ReadinessPending: true}, true, true},
		{"reported ready, readiness pending", func() { report("r1", true, true) }, prober.Status{Started: true, ReadinessPending: true}, true, true},
		{"reported not ready, readiness pending", func() { report("r1", true, false) }, prober.Status{Started: true, ReadinessPending: true}, true, false},
		{"reported ready, readiness failed", func() { report("r1", true, true) }, prober.Status{Started: true}, true, false},
		{"reported ready, startup pending, reported not started", func() { report("r1", false, false) }, prober.Status{StartupPending: true, ReadinessPending: true}, false, false},
		{"decided", func() { report("r1", false, false) }, prober.Status{Started: true, Ready: true}, true, true},
	}
	for _, tc := range cases {
		tc.reported()
		pr.set("r1", tc.status)
		if started, ready := view.startedReady("c", "r1"); started != tc.wantStarted || ready != tc.wantReady {
			t.Errorf("%s: started %v ready %v, want %v %v", tc.name, started, ready, tc.wantStarted, tc.wantReady)
		}
	}
}
