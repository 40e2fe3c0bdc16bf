package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	gort "runtime"
	"sync"
	"syscall"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"golang.org/x/sys/unix"
)

// outputDrain bounds the wait for a command's output once the command and
// its process group are gone: whatever still holds the output open (a
// process that left the group) is not waited for longer.
const outputDrain = 2 * time.Second

// Exec runs a command beside a running container: with the container's
// environment and working directory, inside its pod's network namespace
// and with its resolv.conf,
// in a process group (with a TTY: a session) of its own. When the command
// exits, or ctx ends, the whole group is killed, as the container's group
// goes with its main process.
func (r *Runtime) Exec(ctx context.Context, opts runtime.ExecOptions) (int, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return 0, errors.New("exec: no command")
	}
	cc, err := r.execTarget(opts.PodUID, opts.Container)
	if err != nil {
		return 0, err
	}
	path, err := lookPath(opts.Command[0], cc.Env)
	if err != nil {
		return 0, &runtime.ExecStartError{Code: runtime.ExitNotFound, Err: err}
	}
	wd := cc.WorkingDir
	if wd == "" {
		wd = "/"
	}
	cmd := &exec.Cmd{Path: path, Args: opts.Command, Env: cc.Env, Dir: wd}
	if opts.TTY {
		return execTTY(ctx, cmd, cc, opts)
	}
	return execPipes(ctx, cmd, cc, opts)
}

// execTarget returns the config of the container's latest run, which must
// be running.
func (r *Runtime) execTarget(uid, name string) (runtime.ContainerConfig, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var latest *container
	for _, c := range r.containers {
		cc := c.cfg.Container
		if cc.PodUID == uid && cc.Name == name && (latest == nil || cc.Attempt > latest.cfg.Container.Attempt) {
			latest = c
		}
	}
	switch {
	case latest == nil:
		return runtime.ContainerConfig{}, fmt.Errorf("%w: container %q of pod %s", runtime.ErrNotFound, name, uid)
	case latest.exit != nil:
		return runtime.ContainerConfig{}, fmt.Errorf("%w: container %q of pod %s exited", runtime.ErrNotRunning, name, uid)
	}
	return latest.cfg.Container, nil
}

// startError classifies a failed start as a shell would: 127 for a
// missing file, 126 for one that cannot be executed.
func startError(err error) error {
	code := runtime.ExitCannotExecute
	if errors.Is(err, fs.ErrNotExist) {
		code = runtime.ExitNotFound
	}
	return &runtime.ExecStartError{Code: code, Err: err}
}

// startIn runs start (which forks the command) on an OS thread inside the
// container's network namespace and with its resolv.conf (see enterPod),
// so that the command is born with them; a container with neither starts
// it here. The thread is locked and never unlocked: Go ends it with its
// goroutine, so no other goroutine ever runs in the pod's namespaces. The
// process's main thread is never used: Go cannot end it, so it would stay
// in the pod's namespaces for good (and /proc/self shows the main
// thread's).
func startIn(cc runtime.ContainerConfig, start func() error) error {
	if cc.NetNS == "" && cc.ResolvConf == "" {
		return start()
	}
	run := func() error {
		gort.LockOSThread()
		if err := enterPod(cc.NetNS, cc.ResolvConf); err != nil {
			return err
		}
		return start()
	}
	errc := make(chan error, 1)
	go func() {
		gort.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			errc <- run()
			return
		}
		// Holding the main thread, this goroutine leaves the work to a
		// goroutine that cannot run on it, and frees it after.
		inner := make(chan error, 1)
		go func() { inner <- run() }()
		err := <-inner
		gort.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// killGroup kills process group pgid; a group that is gone is fine.
func killGroup(pgid int) {
	if pgid > 1 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// waitCommand waits for cmd to exit, killing its group when ctx ends
// first, then kills what is left of the group and returns the exit code.
func waitCommand(ctx context.Context, cmd *exec.Cmd) int {
	pgid := cmd.Process.Pid
	stop := context.AfterFunc(ctx, func() { killGroup(pgid) })
	waitErr := cmd.Wait()
	stop()
	killGroup(pgid)
	return exitOf(cmd, waitErr).ExitCode
}

// copyOut copies src to dst until src ends; once dst fails (the client is
// gone) it keeps draining src, so the command never blocks on its output.
func copyOut(wg *sync.WaitGroup, dst io.Writer, src io.Reader) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := io.Copy(dst, src); err != nil {
			_, _ = io.Copy(io.Discard, src)
		}
	}()
}

// waitOutput waits up to outputDrain for the copies, then closes the
// read ends so that copies still blocked return.
func waitOutput(wg *sync.WaitGroup, readEnds ...*os.File) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(outputDrain):
	}
	for _, f := range readEnds {
		_ = f.Close()
	}
	<-done
}
