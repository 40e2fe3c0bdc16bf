package simulated

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

func TestSimulatedContainersRunUntilStoppedOrExited(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	r := New(func() time.Time { return now })
	var exits []string
	r.SetExitHandler(func(uid string) { exits = append(exits, uid) })
	ctx := context.Background()
	sb, err := r.RunSandbox(ctx, runtime.SandboxConfig{UID: "u1"})
	if err != nil || sb.IP != "" {
		t.Fatalf("sandbox %+v, %v", sb, err)
	}
	a, _ := r.StartContainer(ctx, runtime.ContainerConfig{PodUID: "u1", Name: "a"})
	b, _ := r.StartContainer(ctx, runtime.ContainerConfig{PodUID: "u1", Name: "b"})
	if a.State != runtime.StateRunning || a.ID == b.ID || !a.StartedAt.Equal(now) {
		t.Fatalf("a = %+v, b = %+v", a, b)
	}
	if err := r.RemovePod(ctx, "u1"); err == nil {
		t.Fatal("removed a pod with running containers")
	}
	if err := r.Exit("u1", "a", 3); err != nil {
		t.Fatal(err)
	}
	if err := r.StopContainer(ctx, b.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	cs := r.PodContainers("u1")
	la, _ := runtime.Latest(cs, "a")
	lb, _ := runtime.Latest(cs, "b")
	if la.State != runtime.StateExited || la.ExitCode != 3 || la.Reason != "Error" || lb.State != runtime.StateExited || lb.ExitCode != 0 {
		t.Fatalf("a = %+v, b = %+v", la, lb)
	}
	if len(exits) != 2 {
		t.Fatalf("exit notifications: %v", exits)
	}
	// Restarts keep the previous run and drop older ones.
	for attempt := 1; attempt <= 3; attempt++ {
		_, _ = r.StartContainer(ctx, runtime.ContainerConfig{PodUID: "u1", Name: "a", Attempt: attempt})
		_ = r.Exit("u1", "a", 1)
	}
	if prev, ok := runtime.Previous(r.PodContainers("u1"), "a"); !ok || prev.Attempt != 2 || len(r.PodContainers("u1")) != 3 {
		t.Fatalf("previous = %+v; runs %+v", prev, r.PodContainers("u1"))
	}
	var buf bytes.Buffer
	if err := r.Logs(ctx, runtime.LogOptions{PodUID: "u1", Container: "a"}, &buf); err != nil || buf.Len() != 0 {
		t.Fatalf("logs: %q, %v", buf.String(), err)
	}
	if err := r.Logs(ctx, runtime.LogOptions{PodUID: "u1", Container: "zz"}, &buf); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("logs of an unknown container: %v", err)
	}
	if err := r.RemovePod(ctx, "u1"); err != nil || len(r.Pods()) != 0 {
		t.Fatalf("remove: %v, pods %v", err, r.Pods())
	}
}

func TestExecIsUnsupported(t *testing.T) {
	r := New(nil)
	_, err := r.Exec(context.Background(), runtime.ExecOptions{PodUID: "u1", Container: "a", Command: []string{"true"}})
	if !errors.Is(err, runtime.ErrUnsupported) || err.Error() != "runtime: not supported: simulated node runs nothing" {
		t.Fatalf("Exec = %v, want ErrUnsupported saying the node runs nothing", err)
	}
}
