package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
)

type ctlResult struct {
	stdout, stderr string
	code           int
}

// gantryctl runs gantryctl against the cluster with stdin as its input.
func (w *workloadCluster) gantryctl(stdin string, args ...string) ctlResult {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gantryctlBin, append([]string{"--server", strings.Join(w.lc.Servers(), ",")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		w.t.Fatalf("gantryctl %v: %v", args, err)
	}
	return ctlResult{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// TestExec runs commands in a pod of a whole local cluster with gantryctl
// exec (gantryctl -> apiserver -> node agent and back): piped stdin, both
// output streams, the container's env, exit codes passed through, the
// pod's network namespace, and no process left behind by a session.
func TestExec(t *testing.T) {
	w := startWorkloadCluster(t, 1)
	labels := map[string]string{"app": "sleeper"}
	w.create(apimeta.Wrap(&gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: "sleeper", Namespace: "default"},
		Spec: &gantryv1.DeploymentSpec{Replicas: proto.Int32(1), Selector: &gantryv1.LabelSelector{MatchLabels: labels},
			Template: &gantryv1.PodTemplateSpec{Metadata: &gantryv1.ObjectMeta{Labels: labels}, Spec: &gantryv1.PodSpec{
				Containers: []*gantryv1.Container{{Name: "main", Image: "busybox", Command: []string{"sleep", "1000"},
					Env: []*gantryv1.EnvVar{{Name: markerEnv, Value: w.marker}, {Name: "GREETING", Value: "hello"},
						{Name: "POD_NAME", ValueFrom: &gantryv1.EnvVarSource{FieldRef: &gantryv1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				}}}}},
	}))
	pod := w.waitRunningReady(60*time.Second, "app=sleeper", 1)[0]
	name := podName(pod)

	began := time.Now()
	got := w.gantryctl("piped line 1\npiped line 2\n", "exec", "-i", name, "--",
		"sh", "-c", `echo "$GREETING from $HOSTNAME"; cat; echo to-stderr >&2`)
	if want := "hello from " + name + "\npiped line 1\npiped line 2\n"; got.code != 0 || got.stdout != want || got.stderr != "to-stderr\n" {
		t.Fatalf("exec -i = %+v, want exit 0, stdout %q, stderr %q", got, want, "to-stderr\n")
	}
	t.Logf("exec -i round trip in %s", since(began))

	// The remote exit code becomes gantryctl's.
	if got := w.gantryctl("", "exec", name, "--", "sh", "-c", "exit 3"); got.code != 3 || got.stderr != "" {
		t.Errorf("exit 3 = %+v, want gantryctl to exit 3 and say nothing", got)
	}
	if got := w.gantryctl("", "exec", name, "--", "no-such-command-anywhere"); got.code != 127 || !strings.Contains(got.stderr, "not found") {
		t.Errorf("missing command = %+v, want exit 127 saying not found", got)
	}
	// Without -i the command's input is empty, not gantryctl's.
	if got := w.gantryctl("ignored", "exec", name, "--", "cat"); got.code != 0 || got.stdout != "" {
		t.Errorf("exec without -i = %+v, want empty input", got)
	}
	// A workload picks its running pod.
	if got := w.gantryctl("", "exec", "deploy/sleeper", "--", "sh", "-c", "echo $HOSTNAME"); got.code != 0 || got.stdout != name+"\n" {
		t.Errorf("exec deploy/sleeper = %+v, want it to run in %s", got, name)
	}
	if got := w.gantryctl("", "exec", "nope", "--", "true"); got.code != 1 || !strings.Contains(got.stderr, "not found") {
		t.Errorf("exec in a missing pod = %+v, want exit 1 saying not found", got)
	}
	if got := w.gantryctl("", "exec", name, "-c", "other", "--", "true"); got.code != 1 || !strings.Contains(got.stderr, `no container "other"`) {
		t.Errorf("exec -c other = %+v, want exit 1 naming the container", got)
	}

	// The command runs in the pod's network namespace.
	if w.podNetwork {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join("/var/run/netns", "gantry-"+pod.GetMetadata().GetUid()), &st); err != nil {
			t.Fatal(err)
		}
		got := w.gantryctl("", "exec", name, "--", "readlink", "/proc/self/ns/net")
		if want := fmt.Sprintf("net:[%d]\n", st.Ino); got.code != 0 || got.stdout != want {
			t.Errorf("exec's network namespace = %+v, want the pod's %s", got, want)
		}
		if got := w.gantryctl("", "exec", name, "--", "ip", "-o", "-4", "addr"); !strings.Contains(got.stdout, " "+pod.GetStatus().GetPodIp()+"/") {
			t.Errorf("addresses seen by exec = %+v, want the pod IP %s", got, pod.GetStatus().GetPodIp())
		}
	}

	checkExecTTY(t, w, name)

	// A session's processes end with it: a background child does not
	// outlive the command, and only the container's own process is left.
	container := w.onePid(name)
	if got := w.gantryctl("", "exec", name, "--", "sh", "-c", "sleep 1000 & echo started"); got.code != 0 || got.stdout != "started\n" {
		t.Fatalf("exec with a background child = %+v", got)
	}
	waitFor(t, 10*time.Second, "the session's background child to be gone", func() error {
		if pids := w.serverProcs()[name]; len(pids) != 1 || pids[0] != container {
			return fmt.Errorf("pod %s has processes %v, want only the container's %d", name, pids, container)
		}
		return nil
	})
}

// checkExecTTY runs gantryctl exec -it on a pseudo-terminal of its own, as
// a user's shell would: the command gets a terminal of the local size, the
// local terminal is raw while the session runs and restored after, and a
// window resize reaches the command.
func checkExecTTY(t *testing.T, w *workloadCluster, name string) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	closeTTY := sync.OnceFunc(func() { _ = tty.Close() })
	defer closeTTY()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gantryctlBin, "--server", strings.Join(w.lc.Servers(), ","), "exec", "-it", name, "--",
		"sh", "-c", `tty; stty size; while read a; do stty size; [ "$a" = q ] && exit 4; done`)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// gantryctl leads a session on the terminal, so it gets SIGWINCH.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out syncBuf
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptmx); close(copied) }()
	waitFor(t, 10*time.Second, "the remote terminal and its size", func() error {
		if s := out.String(); !strings.Contains(s, "/dev/pts/") || !strings.Contains(s, "40 120") {
			return fmt.Errorf("output %q", s)
		}
		return nil
	})
	raw, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || raw.Lflag&(unix.ICANON|unix.ECHO) != 0 {
		t.Errorf("local terminal during the session: lflag %#x, %v; want raw (no ICANON, no ECHO)", raw.Lflag, err)
	}
	// Each size change signals gantryctl; ask until the command sees it.
	waitFor(t, 10*time.Second, "the resized remote terminal", func() error {
		_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 49, Cols: 150})
		_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 150})
		_, _ = ptmx.Write([]byte("x\r"))
		time.Sleep(50 * time.Millisecond)
		if !strings.Contains(out.String(), "50 150") {
			return fmt.Errorf("output %q", out.String())
		}
		return nil
	})
	_, _ = ptmx.Write([]byte("q\r"))
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 4 {
		t.Errorf("gantryctl exec -it exited %d (%v), want the command's 4; output %q", code, err, out.String())
	}
	after, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
		t.Errorf("local terminal after the session: %+v, %v; want it restored to %+v", after, err, before)
	}
	closeTTY()
	<-copied
}

// syncBuf is a strings.Builder safe for one writer and a poller.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
