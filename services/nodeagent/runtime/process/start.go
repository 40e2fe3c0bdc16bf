package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
)

// StartContainer starts one run of a container through a new shim and
// returns once the container's process runs (or failed to start, which is
// reported as an exited run with reason StartError, as Kubernetes does).
func (r *Runtime) StartContainer(ctx context.Context, cc runtime.ContainerConfig) (*runtime.ContainerStatus, error) {
	if cc.ResolvConf == "" {
		r.mu.Lock()
		if rec, ok := r.pods[cc.PodUID]; ok {
			cc.ResolvConf = rec.ResolvConf
		}
		r.mu.Unlock()
	}
	c := &container{cfg: runConfig{ID: newID(), Container: cc, LogMaxBytes: r.cfg.LogMaxBytes, CreatedAt: time.Now()},
		dir: r.runDir(cc.PodUID, cc.Name, cc.Attempt), done: make(chan struct{})}
	if err := os.RemoveAll(c.dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(c.dir, configFile), c.cfg); err != nil {
		return nil, err
	}
	cmd, hs, err := r.spawnShim(c.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", runtime.ErrStart, err)
	}
	h, err := r.readHandshake(hs)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("%w: shim: %v", runtime.ErrStart, err)
	}
	r.mu.Lock()
	r.containers[c.cfg.ID] = c
	r.mu.Unlock()
	if h.Error != "" {
		_ = cmd.Wait()
		r.finish(c)
	} else {
		if err := readJSON(filepath.Join(c.dir, stateFile), &c.state); err != nil {
			r.log.Warn("container state", zap.Error(err))
		}
		go r.wait(c, cmd)
	}
	r.prune(cc.PodUID, cc.Name, cc.Attempt)
	r.mu.Lock()
	st := c.status()
	r.mu.Unlock()
	return &st, nil
}

// spawnShim starts the shim for the run in dir in a session of its own,
// so that it outlives the agent and no terminal signal reaches it.
func (r *Runtime) spawnShim(dir string) (*exec.Cmd, *os.File, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer pw.Close()
	logf, err := os.OpenFile(filepath.Join(dir, shimLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		_ = pr.Close()
		return nil, nil, err
	}
	defer logf.Close()
	cmd := exec.Command(r.cfg.ShimPath)
	// GORACE matters only to race-enabled test binaries, whose exit would
	// otherwise wait a second.
	cmd.Env = []string{shimEnv + "=" + dir, "GORACE=atexit_sleep_ms=0"}
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = logf, logf, []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		_ = pr.Close()
		return nil, nil, err
	}
	return cmd, pr, nil
}

// readHandshake reads the shim's report within StartTimeout.
func (r *Runtime) readHandshake(f *os.File) (handshake, error) {
	defer f.Close()
	_ = f.SetReadDeadline(time.Now().Add(r.cfg.StartTimeout))
	var h handshake
	if err := json.NewDecoder(f).Decode(&h); err != nil {
		return h, err
	}
	return h, nil
}

// wait waits for a run to end: through Wait when this agent started its
// shim, by polling otherwise (the shim of an adopted run is not our child).
func (r *Runtime) wait(c *container, cmd *exec.Cmd) {
	if cmd != nil {
		_ = cmd.Wait()
	} else {
		for alive(c.state.ShimPid, c.state.ShimStart) {
			r.sleepPoll()
		}
	}
	r.finish(c)
}

// finish records a run's exit from the shim's record; a run whose shim
// vanished without one is reported as ContainerStatusUnknown, as the
// kubelet does for containers it lost, once its process is gone too.
func (r *Runtime) finish(c *container) {
	var ex runExit
	if err := readJSON(filepath.Join(c.dir, exitFile), &ex); err != nil {
		for c.state.Pid > 0 && alive(c.state.Pid, c.state.PidStart) {
			r.sleepPoll()
		}
		ex = runExit{ExitCode: 137, Reason: "ContainerStatusUnknown", FinishedAt: time.Now(),
			Message: "The container could not be located when it ended"}
		if !errors.Is(err, os.ErrNotExist) {
			ex.Message = err.Error()
		}
		_ = writeJSON(filepath.Join(c.dir, exitFile), ex)
	}
	r.exited(c, ex)
}

// killTimeout bounds the wait for a SIGKILLed container to be reaped.
const killTimeout = 10 * time.Second

// StopContainer sends SIGTERM to the container's process group, waits up
// to grace for it to exit, then sends SIGKILL.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	r.mu.Lock()
	c, ok := r.containers[id]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: container %s", runtime.ErrNotFound, id)
	}
	if grace > 0 {
		if err := signalGroup(c.state.Pid, c.state.PidStart, syscall.SIGTERM); err != nil {
			return err
		}
		if waitDone(ctx, c.done, grace) {
			return nil
		}
	}
	if err := signalGroup(c.state.Pid, c.state.PidStart, syscall.SIGKILL); err != nil {
		return err
	}
	if !waitDone(context.WithoutCancel(ctx), c.done, killTimeout) {
		return fmt.Errorf("container %s did not exit %s after SIGKILL", id, killTimeout)
	}
	return nil
}

// waitDone waits up to d for done, or until ctx ends.
func waitDone(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}
