package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap/zaptest"
)

func newRuntime(t *testing.T, dir string) *Runtime {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Poll = dir, 20*time.Millisecond
	r, err := New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAll(t, r) })
	return r
}

// stopAll kills whatever a test left running.
func stopAll(t *testing.T, r *Runtime) {
	for _, uid := range r.Pods() {
		for _, c := range r.PodContainers(uid) {
			if c.State == runtime.StateRunning {
				if err := r.StopContainer(context.Background(), c.ID, 0); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			}
		}
	}
}

func start(t *testing.T, r *Runtime, uid, name string, attempt int, argv ...string) runtime.ContainerStatus {
	t.Helper()
	st, err := r.StartContainer(context.Background(), runtime.ContainerConfig{PodUID: uid, PodNamespace: "default", PodName: "p-" + uid,
		Name: name, Attempt: attempt, Image: "busybox", Command: argv, Env: []string{"GREETING=hello"}})
	if err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	return *st
}

// waitState polls until the latest run of a container reaches state.
func waitState(t *testing.T, r *Runtime, uid, name string, state runtime.State) runtime.ContainerStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, ok := runtime.Latest(r.PodContainers(uid), name); ok && c.State == state {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s/%s never reached %s: %+v", uid, name, state, r.PodContainers(uid))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func logs(t *testing.T, r *Runtime, opts runtime.LogOptions) string {
	t.Helper()
	if opts.TailLines == 0 {
		opts.TailLines = -1
	}
	var b bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Logs(ctx, opts, &b); err != nil {
		t.Fatalf("logs: %v", err)
	}
	return b.String()
}

func TestExitCodeEnvAndLogs(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	st := start(t, r, "u1", "c", 0, "/bin/sh", "-c", `echo "$GREETING"; echo err >&2; exit 3`)
	if st.Pid <= 0 {
		t.Fatalf("no pid: %+v", st)
	}
	c := waitState(t, r, "u1", "c", runtime.StateExited)
	if c.ExitCode != 3 || c.Reason != "Error" || c.FinishedAt.Before(c.StartedAt) {
		t.Fatalf("exit = %+v, want code 3 reason Error", c)
	}
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c"}); got != "hello\nerr\n" {
		t.Fatalf("log = %q", got)
	}
}

func TestStartErrorIsAnExitedRun(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	st := start(t, r, "u1", "c", 0, "no-such-binary-anywhere")
	if st.State != runtime.StateExited || st.ExitCode != 128 || st.Reason != "StartError" || !strings.Contains(st.Message, "not found") {
		t.Fatalf("status = %+v, want exited StartError 128", st)
	}
}

func TestStopSendsSIGTERMToTheGroupFirst(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	st := start(t, r, "u1", "c", 0, "/bin/sh", "-c", `trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.05; done`)
	waitLog(t, r, "u1", "c", "ready")
	begin := time.Now()
	if err := r.StopContainer(context.Background(), st.ID, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	c := waitState(t, r, "u1", "c", runtime.StateExited)
	if c.ExitCode != 0 || time.Since(begin) > 4*time.Second {
		t.Fatalf("exit = %+v after %s, want a clean exit on SIGTERM", c, time.Since(begin))
	}
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c"}); !strings.Contains(got, "got-term") {
		t.Fatalf("log %q: the trap did not run", got)
	}
}

func TestStopEscalatesToSIGKILLAfterGrace(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	st := start(t, r, "u1", "c", 0, "/bin/sh", "-c", `trap '' TERM; echo ready; sleep 1000`)
	waitLog(t, r, "u1", "c", "ready")
	begin := time.Now()
	if err := r.StopContainer(context.Background(), st.ID, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	took := time.Since(begin)
	c := waitState(t, r, "u1", "c", runtime.StateExited)
	if c.ExitCode != 137 || c.Signal != int(syscall.SIGKILL) || took < 300*time.Millisecond {
		t.Fatalf("exit = %+v after %s, want SIGKILL (137) after the 300ms grace", c, took)
	}
	if alive(st.Pid, mustStart(t, st.Pid, c)) {
		t.Fatal("process still alive")
	}
}

func mustStart(t *testing.T, pid int, _ runtime.ContainerStatus) uint64 {
	s, _, err := procStart(pid)
	if err != nil {
		return 0
	}
	return s
}

func TestGroupIsKilledWhenTheMainProcessExits(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	start(t, r, "u1", "c", 0, "/bin/sh", "-c", `sleep 1000 & echo $!`)
	waitState(t, r, "u1", "c", runtime.StateExited)
	out := strings.TrimSpace(logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c"}))
	pid, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("log %q: %v", out, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, zombie, err := procStart(pid); err != nil || zombie {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("background child %d outlived its container", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitLog(t *testing.T, r *Runtime, uid, name, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var b bytes.Buffer
		_ = r.Logs(context.Background(), runtime.LogOptions{PodUID: uid, Container: name, TailLines: -1}, &b)
		if strings.Contains(b.String(), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of %s/%s never showed %q: %q", uid, name, want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAdoptionAfterRestartKeepsTheSameProcess(t *testing.T) {
	dir := t.TempDir()
	r1 := newRuntime(t, dir)
	st := start(t, r1, "u1", "c", 0, "/bin/sh", "-c", `echo up; sleep 1000`)
	waitLog(t, r1, "u1", "c", "up")

	r2 := newRuntime(t, dir) // a restarted agent
	cs := r2.PodContainers("u1")
	if len(cs) != 1 || cs[0].State != runtime.StateRunning || cs[0].Pid != st.Pid || cs[0].ID != st.ID {
		t.Fatalf("adopted = %+v, want the running run %s with pid %d", cs, st.ID, st.Pid)
	}
	if err := r2.StopContainer(context.Background(), st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	c := waitState(t, r2, "u1", "c", runtime.StateExited)
	if c.ExitCode != 128+int(syscall.SIGTERM) {
		t.Fatalf("exit = %+v, want 143 (SIGTERM)", c)
	}
	if got := logs(t, r2, runtime.LogOptions{PodUID: "u1", Container: "c"}); got != "up\n" {
		t.Fatalf("log after adoption = %q", got)
	}
}

func TestExitOfAnAdoptedRunIsSeenAndReported(t *testing.T) {
	dir := t.TempDir()
	r1 := newRuntime(t, dir)
	start(t, r1, "u1", "c", 0, "/bin/sh", "-c", `read x < /dev/null; sleep 0.5; exit 7`)
	r2 := newRuntime(t, dir)
	exits := make(chan string, 4)
	r2.SetExitHandler(func(uid string) { exits <- uid })
	select {
	case uid := <-exits:
		if uid != "u1" {
			t.Fatalf("exit of %q", uid)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit notification for the adopted run")
	}
	if c := waitState(t, r2, "u1", "c", runtime.StateExited); c.ExitCode != 7 {
		t.Fatalf("exit = %+v, want 7", c)
	}
}

func TestLogCapTailLimitPreviousFollow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Poll, cfg.LogMaxBytes = t.TempDir(), 20*time.Millisecond, 4096
	r, err := New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAll(t, r) })
	start(t, r, "u1", "c", 0, "/bin/sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done`)
	waitState(t, r, "u1", "c", runtime.StateExited)
	run := filepath.Join(cfg.DataDir, "pods", "u1", "containers", "c", "0")
	for _, f := range []string{"log", "log.1"} {
		fi, err := os.Stat(filepath.Join(run, f))
		if err != nil || fi.Size() > 4096 {
			t.Fatalf("%s: %v size %d, want at most the 4096-byte cap", f, err, fi.Size())
		}
	}
	all := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c"})
	if !strings.HasSuffix(all, "line-1999\n") || len(all) > 8192 {
		t.Fatalf("whole log: %d bytes ending %q", len(all), all[max(0, len(all)-20):])
	}
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c", TailLines: 3}); got != "line-1997\nline-1998\nline-1999\n" {
		t.Fatalf("tail 3 = %q", got)
	}
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c", TailLines: 2, LimitBytes: 4}); got != "line" {
		t.Fatalf("tail 2 limit 4 = %q", got)
	}
	if _, err := r.logRun(runtime.LogOptions{PodUID: "u1", Container: "c", Previous: true}); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("previous without a previous run: %v", err)
	}
	start(t, r, "u1", "c", 1, "/bin/sh", "-c", `echo second; sleep 0.3; echo done`)
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c", Previous: true, TailLines: 1}); got != "line-1999\n" {
		t.Fatalf("previous tail 1 = %q", got)
	}
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "c", Follow: true}); got != "second\ndone\n" {
		t.Fatalf("follow = %q, want both lines and an end when the container exits", got)
	}
	// A third run drops the first.
	start(t, r, "u1", "c", 2, "/bin/true")
	waitState(t, r, "u1", "c", runtime.StateExited)
	if _, err := os.Stat(run); !os.IsNotExist(err) {
		t.Fatalf("run 0 should be pruned: %v", err)
	}
	if n := len(r.PodContainers("u1")); n != 2 {
		t.Fatalf("%d runs kept, want 2", n)
	}
}

func TestRemovePod(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	st := start(t, r, "u1", "c", 0, "sleep", "1000")
	if _, err := r.RunSandbox(context.Background(), runtime.SandboxConfig{UID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := r.RemovePod(context.Background(), "u1"); err == nil {
		t.Fatal("RemovePod of a running pod succeeded")
	}
	if err := r.StopContainer(context.Background(), st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.RemovePod(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	if p := r.Pods(); len(p) != 0 {
		t.Fatalf("pods after remove: %v", p)
	}
	if _, err := os.Stat(filepath.Join(r.cfg.DataDir, "pods", "u1")); !os.IsNotExist(err) {
		t.Fatal(fmt.Errorf("pod dir left: %w", err))
	}
}
