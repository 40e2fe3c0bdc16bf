package prober

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap/zaptest"
	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// fixture is a manager whose workers the test steps by hand: no worker
// goroutine runs, so every step is deterministic.
type fixture struct {
	t       *testing.T
	clk     *clocktesting.FakeClock
	m       *Manager
	pod     Pod
	workers map[Kind]*worker
	// exits answers exec probes by command[0]: exit code per call.
	mu      sync.Mutex
	exits   map[string]int
	calls   map[string]int
	changes int
}

func (f *fixture) Exec(_ context.Context, o runtime.ExecOptions) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[o.Command[0]]++
	return f.exits[o.Command[0]], nil
}

func (f *fixture) setExit(cmd string, code int) {
	f.mu.Lock()
	f.exits[cmd] = code
	f.mu.Unlock()
}

func (f *fixture) callsOf(cmd string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[cmd]
}

func execProbe(cmd string, mut func(*gantryv1.Probe)) *gantryv1.Probe {
	p := &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: []string{cmd}}, PeriodSeconds: 10, TimeoutSeconds: 1,
		SuccessThreshold: 1, FailureThreshold: 3}
	if mut != nil {
		mut(p)
	}
	return p
}

// newFixture registers one pod whose container "app" has the probes of c.
func newFixture(t *testing.T, c *gantryv1.Container) *fixture {
	f := &fixture{t: t, clk: clocktesting.NewFakeClock(t0), exits: map[string]int{}, calls: map[string]int{},
		workers: map[Kind]*worker{}}
	cfg := DefaultConfig()
	cfg.Clock = f.clk
	f.m = New(cfg, f, func(string) { f.mu.Lock(); f.changes++; f.mu.Unlock() }, zaptest.NewLogger(t))
	t.Cleanup(f.m.cancel)
	c.Name = "app"
	f.pod = Pod{UID: "u1", Namespace: "default", Name: "p", IP: "127.0.0.1", HostNetwork: true,
		Containers: []*gantryv1.Container{c}, Runs: map[string]Run{"app": {ID: "run-0", Running: true, StartedAt: t0}}}
	e := &podEntry{pod: f.pod, workers: map[workerKey]*worker{}}
	for _, k := range kinds {
		if spec := k.of(c); spec != nil {
			w := newWorker(f.m, "u1", c, k, spec)
			e.workers[workerKey{"app", k}] = w
			f.workers[k] = w
		}
	}
	f.m.pods["u1"] = e
	return f
}

func (f *fixture) step(k Kind) time.Duration { return f.workers[k].step(context.Background()) }

func (f *fixture) status() Status { return f.m.Status("u1", "app", f.pod.Runs["app"].ID) }

func (f *fixture) changeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changes
}

// restart gives the container a new run, started now.
func (f *fixture) restart(id string) {
	f.pod.Runs = map[string]Run{"app": {ID: id, Running: true, StartedAt: f.clk.Now()}}
	f.m.mu.Lock()
	f.m.pods["u1"].pod = f.pod
	f.m.mu.Unlock()
}

func TestReadinessThresholdsAndInitialDelay(t *testing.T) {
	f := newFixture(t, &gantryv1.Container{ReadinessProbe: execProbe("ready", func(p *gantryv1.Probe) {
		p.InitialDelaySeconds, p.SuccessThreshold, p.FailureThreshold = 5, 2, 3
	})})
	// Before initialDelaySeconds: not ready, and no probe runs; the next
	// step is due when the delay ends.
	if d := f.step(Readiness); d != 5*time.Second || f.callsOf("ready") != 0 {
		t.Fatalf("in the initial delay: next step in %s, %d probes", d, f.callsOf("ready"))
	}
	if st := f.status(); st.Ready || !st.Started || st.Kill {
		t.Fatalf("before the first probe: %+v", st)
	}
	f.clk.Step(5 * time.Second)
	if d := f.step(Readiness); d != 10*time.Second || f.callsOf("ready") != 1 {
		t.Fatalf("after the delay: next step in %s, %d probes", d, f.callsOf("ready"))
	}
	if f.status().Ready {
		t.Fatal("ready after one success with successThreshold 2")
	}
	f.step(Readiness)
	if !f.status().Ready || f.changeCount() != 1 {
		t.Fatalf("after two successes: %+v, %d changes", f.status(), f.changeCount())
	}
	// Two failures do not make it unready; the third does.
	f.setExit("ready", 1)
	f.step(Readiness)
	f.step(Readiness)
	if !f.status().Ready {
		t.Fatal("unready after 2 failures with failureThreshold 3")
	}
	f.step(Readiness)
	if st := f.status(); st.Ready || st.Kill || f.changeCount() != 2 {
		t.Fatalf("after 3 failures: %+v, %d changes (a readiness failure never kills)", st, f.changeCount())
	}
	// Still failing: nothing changes, the pod worker is not woken again.
	f.step(Readiness)
	if f.changeCount() != 2 {
		t.Fatalf("%d changes after a repeated failure", f.changeCount())
	}
	// A success between failures starts the count over.
	f.setExit("ready", 0)
	f.step(Readiness)
	f.step(Readiness)
	f.setExit("ready", 1)
	f.step(Readiness)
	f.step(Readiness)
	f.setExit("ready", 0)
	f.step(Readiness)
	f.setExit("ready", 1)
	f.step(Readiness)
	f.step(Readiness)
	if !f.status().Ready {
		t.Fatal("failures that were not consecutive made it unready")
	}
}

func TestLivenessFailureKillsOnceAndNextRunStartsOver(t *testing.T) {
	f := newFixture(t, &gantryv1.Container{LivenessProbe: execProbe("alive", nil)})
	f.setExit("alive", 1)
	f.step(Liveness)
	f.step(Liveness)
	if st := f.status(); st.Kill || !st.Ready {
		t.Fatalf("after 2 failures: %+v", st)
	}
	f.step(Liveness)
	st := f.status()
	if !st.Kill || st.Message != `Liveness probe failed: command "alive" exited with 1` {
		t.Fatalf("after 3 failures: %+v", st)
	}
	// The run is to be killed: no more probes of it.
	f.step(Liveness)
	if n := f.callsOf("alive"); n != 3 {
		t.Fatalf("%d probes; a run marked for killing is probed no more", n)
	}
	// A new run is alive until its own probes fail three times.
	f.restart("run-1")
	if st := f.status(); st.Kill {
		t.Fatalf("new run: %+v", st)
	}
	f.step(Liveness)
	f.step(Liveness)
	if st := f.status(); st.Kill || f.callsOf("alive") != 5 {
		t.Fatalf("new run after 2 failures: %+v, %d probes", st, f.callsOf("alive"))
	}
	// The old run's verdict stands until the new run has one of its own.
	if st := f.m.Status("u1", "app", "run-0"); !st.Kill {
		t.Fatalf("old run: %+v", st)
	}
}

func TestStartupProbeHoldsTheOthers(t *testing.T) {
	f := newFixture(t, &gantryv1.Container{
		StartupProbe:   execProbe("started", func(p *gantryv1.Probe) { p.FailureThreshold = 2 }),
		LivenessProbe:  execProbe("alive", nil),
		ReadinessProbe: execProbe("ready", nil),
	})
	f.setExit("started", 1)
	f.setExit("alive", 1)
	f.step(Startup)
	f.step(Liveness)
	f.step(Readiness)
	if f.callsOf("alive")+f.callsOf("ready") != 0 {
		t.Fatalf("liveness/readiness probed %d/%d times before startup succeeded", f.callsOf("alive"), f.callsOf("ready"))
	}
	if st := f.status(); st.Started || st.Ready || st.Kill || !st.StartupPending || !st.ReadinessPending {
		t.Fatalf("before startup: %+v", st)
	}
	f.setExit("started", 0)
	f.step(Startup)
	if st := f.status(); !st.Started || st.Ready || st.StartupPending || !st.ReadinessPending {
		t.Fatalf("after startup succeeded: %+v", st)
	}
	// Startup is done: it probes no more; the others begin.
	f.step(Startup)
	f.step(Readiness)
	if f.callsOf("started") != 2 || f.callsOf("ready") != 1 || !f.status().Ready || f.status().ReadinessPending {
		t.Fatalf("startup probes %d, readiness probes %d, %+v", f.callsOf("started"), f.callsOf("ready"), f.status())
	}
	for range 3 {
		f.step(Liveness)
	}
	if st := f.status(); !st.Kill || !strings.HasPrefix(st.Message, "Liveness probe failed") {
		t.Fatalf("liveness after startup: %+v", st)
	}
	// A new run must start again; its startup probe failing twice
	// (failureThreshold 2) kills it.
	f.restart("run-1")
	f.setExit("started", 1)
	if st := f.status(); st.Started || st.Ready || st.Kill || !st.StartupPending {
		t.Fatalf("new run: %+v", st)
	}
	f.step(Startup)
	f.step(Startup)
	if st := f.status(); !st.Kill || !strings.HasPrefix(st.Message, "Startup probe failed") {
		t.Fatalf("startup failures: %+v", st)
	}
}

func TestNoProbeWhileNotRunning(t *testing.T) {
	f := newFixture(t, &gantryv1.Container{ReadinessProbe: execProbe("ready", nil)})
	f.pod.Runs = map[string]Run{"app": {ID: "run-0", Running: false, StartedAt: t0}}
	f.m.pods["u1"].pod = f.pod
	f.step(Readiness)
	if f.callsOf("ready") != 0 || f.status().Ready {
		t.Fatalf("exited container: %d probes, %+v", f.callsOf("ready"), f.status())
	}
}

func TestTimingDefaults(t *testing.T) {
	got := timingOf(Liveness, &gantryv1.Probe{SuccessThreshold: 4})
	want := timing{period: 10 * time.Second, timeout: time.Second, successes: 1, failures: 3}
	if got != want {
		t.Fatalf("liveness defaults %+v, want %+v", got, want)
	}
	if got := timingOf(Readiness, &gantryv1.Probe{SuccessThreshold: 4, InitialDelaySeconds: -1}); got.successes != 4 || got.initialDelay != 0 {
		t.Fatalf("readiness %+v", got)
	}
}

// TestWorkersRunOnTheClock runs real worker goroutines on a fake clock:
// the first probe at once, then one per period; a new run is probed
// without waiting; Remove stops them.
func TestWorkersRunOnTheClock(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	ex := &stubExec{}
	ex.exit(0, "")
	changed := make(chan string, 16)
	cfg := DefaultConfig()
	cfg.Clock = clk
	m := New(cfg, ex, func(uid string) { changed <- uid }, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	c := &gantryv1.Container{Name: "app", ReadinessProbe: execProbe("ready", func(p *gantryv1.Probe) { p.PeriodSeconds = 3 })}
	pod := Pod{UID: "u1", IP: "127.0.0.1", HostNetwork: true, Containers: []*gantryv1.Container{c},
		Runs: map[string]Run{"app": {ID: "run-0", Running: true, StartedAt: t0}}}
	m.Sync(pod)
	if uid := waitChange(t, changed); uid != "u1" || !m.Status("u1", "app", "run-0").Ready {
		t.Fatalf("change for %q; status %+v", uid, m.Status("u1", "app", "run-0"))
	}
	waitFor(t, "the worker to wait for its next period", func() bool { return clk.Waiters() == 1 })
	ex.exit(1, "nope")
	for i := range 3 {
		if got := int(ex.calls.Load()); got != 1+i {
			t.Fatalf("%d probes before period %d", got, i+1)
		}
		clk.Step(3 * time.Second)
		waitFor(t, "a probe per period", func() bool { return int(ex.calls.Load()) == 2+i && clk.Waiters() == 1 })
	}
	waitChange(t, changed)
	if m.Status("u1", "app", "run-0").Ready {
		t.Fatal("still ready after 3 failed periods")
	}
	// A restarted container is probed at once, not a period later.
	ex.exit(0, "")
	pod.Runs = map[string]Run{"app": {ID: "run-1", Running: true, StartedAt: clk.Now()}}
	m.Sync(pod)
	waitChange(t, changed)
	if !m.Status("u1", "app", "run-1").Ready {
		t.Fatal("new run not ready after its first successful probe")
	}
	// Syncing the same runs again does not probe.
	before := ex.calls.Load()
	m.Sync(pod)
	m.Remove("u1")
	waitFor(t, "the worker to stop", func() bool { return clk.Waiters() == 0 })
	clk.Step(time.Hour)
	if got := ex.calls.Load(); got != before {
		t.Fatalf("%d probes after Remove", got-before)
	}
	if st := m.Status("u1", "app", "run-1"); !st.Ready || !st.Started {
		t.Fatalf("a pod without probes is started and ready: %+v", st)
	}
}

func waitChange(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case uid := <-ch:
		return uid
	case <-time.After(10 * time.Second):
		t.Fatal("no result change reported")
	}
	return ""
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
