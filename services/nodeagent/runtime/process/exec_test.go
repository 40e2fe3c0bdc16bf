package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startSleeper starts a long-running container to exec into.
func startSleeper(t *testing.T, r *Runtime, cc runtime.ContainerConfig) {
	t.Helper()
	cc.PodUID, cc.PodNamespace, cc.PodName, cc.Name = "u1", "default", "p1", "c"
	cc.Command = []string{"sleep", "1000"}
	if _, err := r.StartContainer(context.Background(), cc); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "u1", "c", runtime.StateRunning)
}

type execResult struct {
	code           int
	err            error
	stdout, stderr string
}

func runExec(t *testing.T, r *Runtime, stdin io.Reader, argv ...string) execResult {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, err := r.Exec(ctx, runtime.ExecOptions{PodUID: "u1", Container: "c", Command: argv, Stdin: stdin, Stdout: &out, Stderr: &errOut})
	return execResult{code, err, out.String(), errOut.String()}
}

func TestExecOutputExitCodeEnvWorkdirAndStdin(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	wd := t.TempDir()
	startSleeper(t, r, runtime.ContainerConfig{Env: []string{"GREETING=hello", "PATH=" + defaultPath}, WorkingDir: wd})

	got := runExec(t, r, nil, "sh", "-c", `echo "$GREETING"; pwd; echo oops >&2; cat; exit 3`)
	if got.err != nil || got.code != 3 || got.stdout != "hello\n"+wd+"\n" || got.stderr != "oops\n" {
		t.Fatalf("exec = %+v, want code 3, stdout hello and the working dir %s, stderr oops, no input", got, wd)
	}
	got = runExec(t, r, strings.NewReader("line one\nline two\n"), "sh", "-c", `wc -l; cat`)
	if got.err != nil || got.code != 0 || strings.TrimSpace(got.stdout) != "2" {
		t.Fatalf("exec with stdin = %+v, want wc -l to count 2 lines (and cat to see EOF)", got)
	}
	// Input arrives as it is written, and its end reaches the command.
	pr, pw := io.Pipe()
	defer pw.Close()
	var out syncBuffer
	done := make(chan execResult, 1)
	go func() {
		code, err := r.Exec(context.Background(), runtime.ExecOptions{PodUID: "u1", Container: "c",
			Command: []string{"sh", "-c", `read a; echo "got $a"; read b; echo "then $b"; cat`}, Stdin: pr, Stdout: &out, Stderr: io.Discard})
		done <- execResult{code: code, err: err}
	}()
	if _, err := pw.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first line's answer", func() bool { return out.String() == "got first\n" })
	_, _ = pw.Write([]byte("second\nrest"))
	_ = pw.Close()
	res := <-done
	if res.err != nil || res.code != 0 || out.String() != "got first\nthen second\nrest" {
		t.Fatalf("interactive exec = %+v, output %q", res, out.String())
	}
}

func TestExecErrors(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	startSleeper(t, r, runtime.ContainerConfig{})
	var se *runtime.ExecStartError
	got := runExec(t, r, nil, "no-such-command-anywhere")
	if !errors.As(got.err, &se) || se.Code != 127 || !strings.Contains(se.Error(), "not found") {
		t.Fatalf("missing command: %+v, want an ExecStartError with code 127", got)
	}
	notExec := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got = runExec(t, r, nil, notExec)
	if !errors.As(got.err, &se) || se.Code != 126 {
		t.Fatalf("non-executable file: %+v, want an ExecStartError with code 126", got)
	}
	got = runExec(t, r, nil, filepath.Join(t.TempDir(), "missing"))
	if !errors.As(got.err, &se) || se.Code != 127 {
		t.Fatalf("missing path: %+v, want an ExecStartError with code 127", got)
	}
	if _, err := r.Exec(context.Background(), runtime.ExecOptions{PodUID: "u1", Container: "other", Command: []string{"true"}}); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("unknown container: %v, want ErrNotFound", err)
	}
	if _, err := r.Exec(context.Background(), runtime.ExecOptions{PodUID: "u1", Container: "c"}); err == nil {
		t.Fatal("exec without a command succeeded")
	}
	st, _ := runtime.Latest(r.PodContainers("u1"), "c")
	if err := r.StopContainer(context.Background(), st.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Exec(context.Background(), runtime.ExecOptions{PodUID: "u1", Container: "c", Command: []string{"true"}}); !errors.Is(err, runtime.ErrNotRunning) {
		t.Fatalf("exited container: %v, want ErrNotRunning", err)
	}
}

// gone reports whether pid has exited (or is a zombie).
func gone(pid int) bool {
	_, zombie, err := procStart(pid)
	return err != nil || zombie
}

func TestExecGroupIsKilledWhenTheCommandExitsOrTheContextEnds(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	startSleeper(t, r, runtime.ContainerConfig{})
	// A background child holding the output open neither outlives the
	// command nor keeps Exec waiting.
	began := time.Now()
	got := runExec(t, r, nil, "sh", "-c", `sleep 1000 & echo $!`)
	pid, err := strconv.Atoi(strings.TrimSpace(got.stdout))
	if err != nil || got.code != 0 {
		t.Fatalf("exec = %+v: %v", got, err)
	}
	if d := time.Since(began); d > outputDrain {
		t.Errorf("exec took %s: it waited for the background child", d)
	}
	waitFor(t, fmt.Sprintf("background child %d to be killed", pid), func() bool { return gone(pid) })

	// Ending the context kills the command and its group.
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Exec(ctx, runtime.ExecOptions{PodUID: "u1", Container: "c",
			Command: []string{"sh", "-c", `sleep 1000 & echo $!; wait`}, Stdout: &out, Stderr: io.Discard})
		done <- err
	}()
	waitFor(t, "the child's pid", func() bool { return strings.HasSuffix(out.String(), "\n") })
	pid, _ = strconv.Atoi(strings.TrimSpace(out.String()))
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled exec returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled exec did not return")
	}
	waitFor(t, fmt.Sprintf("child %d of the cancelled command to be killed", pid), func() bool { return gone(pid) })
}

func TestExecTTY(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	r := newRuntime(t, t.TempDir())
	startSleeper(t, r, runtime.ContainerConfig{})
	pr, pw := io.Pipe()
	defer pw.Close()
	resize := make(chan runtime.TerminalSize, 1)
	var out syncBuffer
	done := make(chan execResult, 1)
	go func() {
		code, err := r.Exec(context.Background(), runtime.ExecOptions{PodUID: "u1", Container: "c", TTY: true,
			Size: runtime.TerminalSize{Width: 100, Height: 30}, Resize: resize, Stdin: pr, Stdout: &out,
			Command: []string{"sh", "-c", `tty; stty size; echo oops >&2; while read a; do stty size; done; echo bye`}})
		done <- execResult{code: code, err: err}
	}()
	waitFor(t, "the terminal's name, size and stderr", func() bool {
		s := out.String()
		return strings.Contains(s, "/dev/pts/") && strings.Contains(s, "30 100\r\n") && strings.Contains(s, "oops")
	})
	resize <- runtime.TerminalSize{Width: 120, Height: 40}
	// The resize is applied asynchronously: ask until the new size shows.
	waitFor(t, "the new size", func() bool {
		_, _ = pw.Write([]byte("x\n"))
		time.Sleep(20 * time.Millisecond)
		return strings.Contains(out.String(), "40 120\r\n")
	})
	_ = pw.Close() // ^D ends the read loop
	select {
	case res := <-done:
		if res.err != nil || res.code != 0 || !strings.Contains(out.String(), "bye") {
			t.Fatalf("tty exec = %+v, output %q", res, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("tty exec did not end after its input did; output %q", out.String())
	}
}

// TestExecRunsInThePodNetworkNamespace needs root to create a network
// namespace (with iproute2).
func TestExecRunsInThePodNetworkNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip netns)")
	}
	name := fmt.Sprintf("gantry-exectest-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", name).Run() })
	path := filepath.Join("/var/run/netns", name)
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, t.TempDir())
	startSleeper(t, r, runtime.ContainerConfig{NetNS: path})
	got := runExec(t, r, nil, "readlink", "/proc/self/ns/net")
	if want := fmt.Sprintf("net:[%d]\n", st.Ino); got.err != nil || got.stdout != want {
		t.Fatalf("exec's network namespace = %+v, want %q (the pod's)", got, want)
	}
	// Only the namespace's own loopback is there (and down).
	got = runExec(t, r, nil, "ip", "-o", "link")
	if got.err != nil || strings.Count(got.stdout, "\n") != 1 || !strings.Contains(got.stdout, "lo:") {
		t.Fatalf("links seen by exec = %+v, want only lo", got)
	}
	// The agent's own threads stay in the host's namespace.
	self, _ := os.Readlink("/proc/thread-self/ns/net")
	if self == strings.TrimSpace(got.stdout) || self == fmt.Sprintf("net:[%d]", st.Ino) {
		t.Fatalf("this thread is in the pod's namespace %s", self)
	}
}
