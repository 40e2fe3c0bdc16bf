package process

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

var testDNS = &runtime.DNSConfig{Servers: []string{"10.244.1.1"},
	Searches: []string{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"}, Options: []string{"ndots:5"}}

const testResolvConf = "nameserver 10.244.1.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"

// TestPodResolvConf: a sandbox with DNS gets its own resolv.conf, which
// its containers and the commands exec'd beside them see as
// /etc/resolv.conf, while the host's stays as it was.
func TestPodResolvConf(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a mount namespace for the pod's resolv.conf needs root")
	}
	hostBefore, err := os.ReadFile(hostResolvConf)
	if err != nil {
		t.Skipf("the host has no %s to mount over: %v", hostResolvConf, err)
	}
	r := newRuntime(t, t.TempDir())
	sb, err := r.RunSandbox(context.Background(), runtime.SandboxConfig{UID: "u1", Namespace: "default", Name: "p1", DNS: testDNS})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(sb.ResolvConf); err != nil || string(b) != testResolvConf {
		t.Fatalf("pod resolv.conf %s = %q, %v; want %q", sb.ResolvConf, b, err, testResolvConf)
	}
	start(t, r, "u1", "cat", 0, "cat", hostResolvConf)
	waitState(t, r, "u1", "cat", runtime.StateExited)
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "cat"}); got != testResolvConf {
		t.Fatalf("the container read %q, want the pod's %q", got, testResolvConf)
	}
	startSleeper(t, r, runtime.ContainerConfig{})
	var out, errOut bytes.Buffer
	code, err := r.Exec(context.Background(), runtime.ExecOptions{PodUID: "u1", Container: "c",
		Command: []string{"cat", hostResolvConf}, Stdout: &out, Stderr: &errOut})
	if err != nil || code != 0 || out.String() != testResolvConf {
		t.Fatalf("exec read %q (code %d, %v, stderr %q), want the pod's", out.String(), code, err, errOut.String())
	}
	// Nothing leaked to the host: neither the file nor a mount.
	if after, _ := os.ReadFile(hostResolvConf); !bytes.Equal(after, hostBefore) {
		t.Fatalf("the host's resolv.conf changed: %q", after)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mounts), sb.ResolvConf) {
		t.Fatalf("a mount leaked into the host's namespace:\n%s", mounts)
	}
	// The sandbox, found again, keeps its resolv.conf.
	again, err := r.RunSandbox(context.Background(), runtime.SandboxConfig{UID: "u1"})
	if err != nil || again.ResolvConf != sb.ResolvConf {
		t.Fatalf("sandbox again: %+v, %v", again, err)
	}
}

// TestNoDNSNoMount: without DNS, containers see the host's resolv.conf.
func TestNoDNSNoMount(t *testing.T) {
	host, err := os.ReadFile(hostResolvConf)
	if err != nil {
		t.Skipf("no %s: %v", hostResolvConf, err)
	}
	r := newRuntime(t, t.TempDir())
	sb, err := r.RunSandbox(context.Background(), runtime.SandboxConfig{UID: "u1"})
	if err != nil || sb.ResolvConf != "" {
		t.Fatalf("sandbox %+v, %v: want no resolv.conf", sb, err)
	}
	start(t, r, "u1", "cat", 0, "cat", hostResolvConf)
	waitState(t, r, "u1", "cat", runtime.StateExited)
	if got := logs(t, r, runtime.LogOptions{PodUID: "u1", Container: "cat"}); got != string(host) {
		t.Fatalf("the container read %q, want the host's %q", got, host)
	}
}

func TestWriteResolvConfRefusesBadEntries(t *testing.T) {
	for _, c := range []*runtime.DNSConfig{
		{},
		{Servers: []string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"}},
		{Servers: []string{"1.1.1.1\nnameserver 6.6.6.6"}},
		{Servers: []string{"1.1.1.1"}, Searches: []string{"a b"}},
		{Servers: []string{"1.1.1.1"}, Options: []string{""}},
		{Servers: []string{"1.1.1.1"}, Searches: make([]string, 33)},
	} {
		if _, err := writeResolvConf(t.TempDir(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
