package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/clientconfig"
)

// sessionCheck checks one README command's output; it returns an error to
// fail the step (or to retry it, when the step is retryable).
type sessionCheck struct {
	check func(stdout string) error
	// retry: the command reads state that settles (logs appear a moment
	// after the pod starts); it is run again until check passes or the
	// deadline.
	retry bool
}

func contains(subs ...string) func(string) error {
	return func(out string) error {
		for _, s := range subs {
			if !strings.Contains(out, s) {
				return fmt.Errorf("output lacks %q", s)
			}
		}
		return nil
	}
}

func rolledOut(out string) error {
	return contains(`deployment "hello" successfully rolled out`)(out)
}

// firstSessionChecks holds a check for every gantryctl line of the
// README's "First session" block. A README line without a check, or a
// check without its line, fails the test: the two must change together.
var firstSessionChecks = map[string]sessionCheck{
	"gantryctl apply -f examples/hello.yaml":    {check: equals("deployment/hello created\n")},
	"gantryctl rollout status deploy/hello":     {check: rolledOut},
	"gantryctl get pods -l app=hello -o wide":   {check: podTable(3)},
	"gantryctl logs deploy/hello --tail 2":      {check: helloLogs, retry: true},
	"gantryctl scale deploy/hello --replicas 5": {check: equals("deployment/hello scaled\n")},
	"gantryctl get deploy hello":                {check: matches(`(?m)^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s*\nhello\s+5/5\s+5\s+5\s+\S+\s*$`)},
	"gantryctl rollout restart deploy/hello":    {check: equals("deployment/hello restarted\n")},
	"gantryctl rollout history deploy/hello":    {check: matches(`(?s)REVISION\s+CHANGE-CAUSE.*\n1\s.*\n2\s`)},
	"gantryctl rollout undo deploy/hello":       {check: equals("deployment/hello rolled back\n")},
	"gantryctl describe deploy hello":           {check: matches(`(?s)Name:\s+hello\n.*Namespace:\s+default\n.*Replicas:\s+5 desired`)},
	"gantryctl delete -f examples/hello.yaml":   {check: equals("deployment/hello deleted\n")},
}

func equals(want string) func(string) error {
	return func(out string) error {
		if out != want {
			return fmt.Errorf("output %q, want %q", out, want)
		}
		return nil
	}
}

func matches(re string) func(string) error {
	r := regexp.MustCompile(re)
	return func(out string) error {
		if !r.MatchString(out) {
			return fmt.Errorf("output does not match %s", re)
		}
		return nil
	}
}

// podTable wants kubectl's wide pod columns and n Running, ready pods.
func podTable(n int) func(string) error {
	header := regexp.MustCompile(`^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\b`)
	row := regexp.MustCompile(`^hello-[a-z0-9]+-[a-z0-9]{5}\s+1/1\s+Running\s+0\s+\S+\s+\S+\s+\S+`)
	return func(out string) error {
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if len(lines) != n+1 || !header.MatchString(lines[0]) {
			return fmt.Errorf("want a header and %d rows", n)
		}
		for _, l := range lines[1:] {
			if !row.MatchString(l) {
				return fmt.Errorf("row %q is not a running, ready hello pod", l)
			}
		}
		return nil
	}
}

func helloLogs(out string) error {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || len(lines) > 2 {
		return fmt.Errorf("%d lines, want 1 or 2 (--tail 2)", len(lines))
	}
	for _, l := range lines {
		if !regexp.MustCompile(`^hello-[a-z0-9-]+: hello from Gantry \(\d+\)$`).MatchString(l) {
			return fmt.Errorf("line %q is not the greeting", l)
		}
	}
	return nil
}

// TestREADMEFirstSession runs the README's first session step by step
// against "gantry up", checking each command's output.
func TestREADMEFirstSession(t *testing.T) {
	lockPodNetwork(t)
	steps := readmeSessionCommands(t)
	for _, s := range steps {
		if _, ok := firstSessionChecks[s]; !ok {
			t.Fatalf("README first-session command %q has no check in this test", s)
		}
	}
	for s := range firstSessionChecks {
		if !slices.Contains(steps, s) {
			t.Fatalf("check for %q: the README no longer has that command", s)
		}
	}
	cfg := startGantryUp(t)
	run := func(line string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, gantryctlBin, strings.Fields(line)[1:]...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), clientconfig.EnvVar+"="+cfg)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	for i, line := range steps {
		c := firstSessionChecks[line]
		var out, errOut string
		err := poll(60*time.Second, func() error {
			var runErr error
			out, errOut, runErr = run(line)
			if runErr != nil {
				if !c.retry {
					t.Fatalf("step %d %q: %v\nstdout:\n%s\nstderr:\n%s", i+1, line, runErr, out, errOut)
				}
				return runErr
			}
			if err := c.check(out); err != nil {
				if !c.retry {
					t.Fatalf("step %d %q: %v\nstdout:\n%s\nstderr:\n%s", i+1, line, err, out, errOut)
				}
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatalf("step %d %q: %v\nstdout:\n%s\nstderr:\n%s", i+1, line, err, out, errOut)
		}
		t.Logf("step %d %q ok", i+1, line)
		if line == "gantryctl apply -f examples/hello.yaml" {
			// Applying the same manifest again changes nothing.
			out, errOut, err := run(line)
			if err != nil || out != "deployment/hello unchanged\n" {
				t.Fatalf("apply again: %v, stdout %q, stderr %q; want deployment/hello unchanged", err, out, errOut)
			}
		}
	}
	// The delete waited for the Deployment; its pods go with it.
	waitFor(t, 60*time.Second, "every hello pod gone", func() error {
		out, errOut, err := run("gantryctl get pods -l app=hello")
		if err != nil {
			return fmt.Errorf("%v: %s", err, errOut)
		}
		if out != "" || !strings.Contains(errOut, "No resources found") {
			return fmt.Errorf("pods left:\n%s", out)
		}
		return nil
	})
}

// readmeSessionCommands returns the gantryctl lines of the second sh block
// of README.md's "## First session" section.
func readmeSessionCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## First session")
	if i < 0 {
		t.Fatal(`README.md has no "## First session" section`)
	}
	section := readme[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	var out []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "gantryctl ") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	if len(out) < 5 {
		t.Fatalf("README first session has %d gantryctl commands; want the whole session", len(out))
	}
	return out
}

// startGantryUp runs "gantry up" on free ports with its own data
// directory and client config, waits until it is up, and stops it with
// SIGINT when the test ends. It returns the client config's path.
func startGantryUp(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "data")
	cfgPath := filepath.Join(tmp, "config.yaml")
	cmd := exec.Command(gantryBin, "up", "--data-dir", dataDir, "--base-port", "0")
	cmd.Env = append(os.Environ(), clientconfig.EnvVar+"="+cfgPath, "HOME="+tmp, "XDG_CONFIG_HOME="+filepath.Join(tmp, "xdg"))
	out := &lineBuffer{}
	var stderr lineBuffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			t.Errorf("gantry up still running 60 s after SIGINT; killing it")
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("gantry up stdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
			logs, _ := filepath.Glob(filepath.Join(dataDir, "logs", "*.log"))
			for _, l := range logs {
				t.Logf("---- last lines of %s ----\n%s", l, tail(l, 30))
			}
		}
	})
	waitFor(t, 120*time.Second, `"Gantry is up" on stdout`, func() error {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("gantry up exited early: %v", err)
		default:
		}
		if !strings.Contains(out.String(), "Gantry is up") {
			return errors.New("not yet")
		}
		return nil
	})
	return cfgPath
}
