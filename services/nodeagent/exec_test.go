package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type execOutcome struct {
	stdout, stderr string
	exit           *gantryv1.ExecExit
	err            error
}

// exec runs a session through the apiserver's PodService (which relays
// it to the agent): start, then stdin and its end when stdin is not nil.
func (e *env) exec(start *gantryv1.ExecStart, stdin []byte) execOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var o execOutcome
	s, err := e.pods.Exec(ctx)
	if err != nil {
		return execOutcome{err: err}
	}
	start.Stdin = stdin != nil
	msgs := []*gantryv1.ExecRequest{{Msg: &gantryv1.ExecRequest_Start{Start: start}}}
	if stdin != nil {
		msgs = append(msgs, &gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_Stdin{Stdin: stdin}},
			&gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_StdinEof{StdinEof: true}})
	}
	for _, m := range msgs {
		if s.Send(m) != nil {
			break
		}
	}
	for {
		m, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return o
		}
		if err != nil {
			o.err = err
			return o
		}
		o.stdout += string(m.GetStdout())
		o.stderr += string(m.GetStderr())
		if m.GetExit() != nil {
			o.exit = m.GetExit()
		}
	}
}

func TestExecThroughTheAPIServer(t *testing.T) {
	e := newEnv(t)
	r := e.start(e.testConfig("n1", t.TempDir()))
	pod := shPod("sleeper", "n1", "sleep 1000")
	pod.Spec.Containers[0].Env = []*gantryv1.EnvVar{{Name: "GREETING", Value: "hi"}}
	e.createPod(pod)
	e.waitPod("sleeper", 20*time.Second, running)
	done := shPod("done", "n1", "true")
	done.Spec.RestartPolicy = "Never"
	e.createPod(done)
	e.waitPod("done", 20*time.Second, func(p *gantryv1.Pod) error {
		if p.GetStatus().GetPhase() != "Succeeded" {
			return fmt.Errorf("phase %q", p.GetStatus().GetPhase())
		}
		return nil
	})

	got := e.exec(&gantryv1.ExecStart{Name: "sleeper", Command: []string{"sh", "-c", `echo "$GREETING $HOSTNAME"; cat; echo err >&2; exit 5`}},
		[]byte("data from stdin"))
	if got.err != nil || got.exit.GetExitCode() != 5 || got.stdout != "hi sleeper\ndata from stdin" || got.stderr != "err\n" {
		t.Fatalf("exec = %+v, want the container's env, stdin echoed, stderr and exit code 5", got)
	}
	got = e.exec(&gantryv1.ExecStart{Name: "sleeper", Container: "main", Command: []string{"no-such-command-anywhere"}}, nil)
	if got.err != nil || got.exit.GetExitCode() != 127 || !strings.Contains(got.exit.GetError(), "not found") {
		t.Fatalf("missing command = %+v, want exit 127 saying not found", got)
	}
	for _, tc := range []struct {
		start *gantryv1.ExecStart
		want  codes.Code
		msg   string
	}{
		{&gantryv1.ExecStart{Name: "done", Command: []string{"true"}}, codes.FailedPrecondition, "not running"},
		{&gantryv1.ExecStart{Name: "sleeper", Container: "other", Command: []string{"true"}}, codes.NotFound, "container other"},
		{&gantryv1.ExecStart{Name: "sleeper"}, codes.InvalidArgument, "start.command"},
	} {
		got := e.exec(tc.start, nil)
		if st, _ := status.FromError(got.err); st.Code() != tc.want || !strings.Contains(st.Message(), tc.msg) {
			t.Errorf("exec %v: %+v, want %s mentioning %q", tc.start, got, tc.want, tc.msg)
		}
	}

	// Sessions beyond the agent's limit are refused, not queued.
	for range maxExecs {
		r.a.execs <- struct{}{}
	}
	got = e.exec(&gantryv1.ExecStart{Name: "sleeper", Command: []string{"true"}}, nil)
	for range maxExecs {
		<-r.a.execs
	}
	if status.Code(got.err) != codes.ResourceExhausted {
		t.Fatalf("exec beyond the limit: %+v, want RESOURCE_EXHAUSTED", got)
	}
	if got := e.exec(&gantryv1.ExecStart{Name: "sleeper", Command: []string{"true"}}, nil); got.err != nil || got.exit.GetExitCode() != 0 {
		t.Fatalf("exec after the sessions ended: %+v", got)
	}
}

func TestExecOnASimulatedNodeRunsNothing(t *testing.T) {
	e := newEnv(t)
	cfg := e.testConfig("", "")
	cfg.Simulate, cfg.NamePrefix = 1, "sim-"
	e.start(cfg)
	e.createPod(shPod("hollow", "sim-0", "sleep 1000"))
	e.waitPod("hollow", 20*time.Second, running)
	got := e.exec(&gantryv1.ExecStart{Name: "hollow", Command: []string{"true"}}, nil)
	if st, _ := status.FromError(got.err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "simulated node runs nothing") {
		t.Fatalf("exec on a simulated node: %+v, want FAILED_PRECONDITION saying it runs nothing", got)
	}
}
