package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/clientconfig"
)

// TestGantryUp runs "gantry up" on free ports (--base-port 0), uses the
// cluster through the client config it writes, and stops it with SIGINT:
// the command exits 0 and leaves no process and no bound port behind.
func TestGantryUp(t *testing.T) {
	lockPodNetwork(t) // its node agents use the machine's pod network
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "data")
	cfgPath := filepath.Join(tmp, "config", "gantry.yaml")
	cmd := exec.Command(gantryBin, "up", "--data-dir", dataDir, "--base-port", "0")
	cmd.Env = append(os.Environ(), clientconfig.EnvVar+"="+cfgPath, "HOME="+tmp, "XDG_CONFIG_HOME="+filepath.Join(tmp, "xdg"))
	out := &lineBuffer{}
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// Its own process group, so a failing test can kill it and its children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var children []int
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		for _, pid := range children {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("gantry up stdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
			logs, _ := filepath.Glob(filepath.Join(dataDir, "logs", "*.log"))
			for _, l := range logs {
				t.Logf("---- last lines of %s ----\n%s", l, tail(l, 40))
			}
		}
	})

	waitFor(t, 90*time.Second, `"Gantry is up" on stdout`, func() error {
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

	conf, err := clientconfig.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(conf.Servers) != 3 {
		t.Fatalf("client config lists %v, want three masters", conf.Servers)
	}
	for _, s := range conf.Servers {
		host, _, err := net.SplitHostPort(s)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("client config server %q: want 127.0.0.1:port", s)
		}
		if !strings.Contains(out.String(), s) {
			t.Errorf("stdout does not name master %s", s)
		}
	}

	// Use the cluster through the config.
	ccfg := client.DefaultConfig()
	ccfg.Servers = conf.Servers
	cl, err := client.New(ccfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cl.Create(ctx, configMap("up", nil, map[string]string{"hello": "world"})); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := cl.Get(ctx, apimeta.KindConfigMap, "default", "up")
	if err != nil || got.GetConfigMap().GetData()["hello"] != "world" {
		t.Fatalf("Get = %v, %v", got, err)
	}

	// The masters (and whatever else gantry up runs) are its children;
	// note their pids and ports.
	children = childPids(t, cmd.Process.Pid)
	var ports []string
	masters := 0
	for _, pid := range children {
		args := cmdline(t, pid)
		if len(args) > 1 && args[1] == "apiserver" {
			masters++
		}
		ports = append(ports, listenAddrs(args)...)
	}
	if masters != 3 {
		t.Fatalf("gantry up runs %d apiservers among its children %v, want 3", masters, children)
	}
	if len(ports) < 9 {
		t.Fatalf("its children listen on %v, want at least the masters' 9 addresses", ports)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("gantry up after SIGINT: %v (want exit 0)", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("gantry up still running 60s after SIGINT")
	}
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("stdout does not say the cluster stopped")
	}
	for _, pid := range children {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("master pid %d still exists after gantry up exited (kill 0: %v)", pid, err)
		}
	}
	for _, addr := range ports {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("port %s still bound after gantry up exited: %v", addr, err)
			continue
		}
		l.Close()
	}
}

// childPids returns the pids whose parent is pid (from /proc).
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// cmdline returns a process's arguments.
func cmdline(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// listenAddrs returns the addresses of every --*listen flag in args
// (--listen, --raft-listen, --http-listen, ...).
func listenAddrs(args []string) []string {
	var out []string
	for i, a := range args {
		name, val, hasVal := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--") || !strings.HasSuffix(name, "listen") {
			continue
		}
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
		}
		if _, _, err := net.SplitHostPort(val); err == nil {
			out = append(out, val)
		}
	}
	return out
}

// lineBuffer collects a process's output for concurrent reading.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*lineBuffer)(nil)
