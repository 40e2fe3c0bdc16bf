package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	gort "runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// shimEnv names the environment variable that turns a re-executed binary
// into a shim; its value is the container run's directory.
const shimEnv = "GANTRY_PROCESS_SHIM"

// handshake is the shim's one message to the agent that started it.
type handshake struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// init turns any binary that links this package (gantry itself, and test
// binaries) into a shim when started with shimEnv set, before main runs.
func init() {
	if dir := os.Getenv(shimEnv); dir != "" {
		os.Exit(runShim(dir))
	}
}

// runShim starts the container described in dir, reports its pid on fd 3,
// copies its output into the capped log, waits for it and records how it
// ended. It returns the shim's own exit code.
func runShim(dir string) int {
	// Signals meant for the container's process group never reach the
	// shim (it leads its own session); ignore stray ones all the same, with
	// handlers rather than SIG_IGN, which the container would inherit.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE)
	hs := os.NewFile(3, "handshake")
	var cfg runConfig
	if err := readJSON(filepath.Join(dir, configFile), &cfg); err != nil {
		report(hs, handshake{Error: err.Error()})
		return 2
	}
	cmd, out, err := startContainer(dir, cfg)
	if err != nil {
		_ = writeJSON(filepath.Join(dir, exitFile), runExit{ExitCode: 128, Reason: "StartError", Message: err.Error(), FinishedAt: time.Now()})
		report(hs, handshake{Error: err.Error()})
		return 0
	}
	pid := cmd.Process.Pid
	pidStart, _, _ := procStart(pid)
	shimStart, _, _ := procStart(os.Getpid())
	st := runState{ShimPid: os.Getpid(), ShimStart: shimStart, Pid: pid, PidStart: pidStart, StartedAt: time.Now()}
	if err := writeJSON(filepath.Join(dir, stateFile), st); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	report(hs, handshake{Pid: pid})
	copied := make(chan struct{})
	go func() {
		w := newCappedWriter(filepath.Join(dir, logFile), cfg.LogMaxBytes)
		_, _ = io.Copy(w, out)
		_ = w.Close()
		close(copied)
	}()
	waitErr := cmd.Wait()
	// Like a container's cgroup, the group goes with its main process.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	_ = writeJSON(filepath.Join(dir, exitFile), exitOf(cmd, waitErr))
	return 0
}

func report(f *os.File, h handshake) {
	if f == nil {
		return
	}
	_ = json.NewEncoder(f).Encode(h)
	_ = f.Close()
}

// startContainer starts the container process in its own process group,
// inside the pod's network namespace when there is one, and with the
// pod's resolv.conf when it has one.
func startContainer(dir string, cfg runConfig) (*exec.Cmd, io.ReadCloser, error) {
	c := cfg.Container
	if len(c.Command) == 0 {
		return nil, nil, errors.New("no command and no image to run")
	}
	path, err := lookPath(c.Command[0], c.Env)
	if err != nil {
		return nil, nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer pw.Close()
	wd := c.WorkingDir
	if wd == "" {
		wd = "/"
	}
	cmd := &exec.Cmd{Path: path, Args: c.Command, Env: c.Env, Dir: wd, Stdout: pw, Stderr: pw,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	if err := enterPod(c.NetNS, c.ResolvConf); err != nil {
		_ = pr.Close()
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = pr.Close()
		return nil, nil, err
	}
	return cmd, pr, nil
}

// enterNetNS moves the calling OS thread into the network namespace at
// path; the container forked from this thread starts inside it. The shim
// does no networking of its own, so the thread is never moved back.
func enterNetNS(path string) error {
	gort.LockOSThread()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open network namespace: %w", err)
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter network namespace %s: %w", path, err)
	}
	return nil
}

// exitOf turns the result of Wait into an exit record, with Kubernetes'
// convention of 128+signal for a killed process.
func exitOf(cmd *exec.Cmd, waitErr error) runExit {
	ex := runExit{FinishedAt: time.Now()}
	var ws syscall.WaitStatus
	ok := false
	if cmd.ProcessState != nil {
		ws, ok = cmd.ProcessState.Sys().(syscall.WaitStatus)
	}
	switch {
	case !ok:
		ex.ExitCode, ex.Reason = 255, "Error"
		if waitErr != nil {
			ex.Message = waitErr.Error()
		}
	case ws.Signaled():
		ex.Signal = int(ws.Signal())
		ex.ExitCode = 128 + ex.Signal
		ex.Reason = "Error"
	default:
		ex.ExitCode = ws.ExitStatus()
		ex.Reason = "Completed"
		if ex.ExitCode != 0 {
			ex.Reason = "Error"
		}
	}
	return ex
}
