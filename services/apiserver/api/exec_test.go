package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/execstream"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// PodExec of the fake agent reports what it was asked, echoes stdin as
// stdout and resizes as stderr, and exits 3 on stdin EOF or 4 when the
// client closes its side.
func (fakeAgent) PodExec(s grpc.BidiStreamingServer[gantryv1.PodExecRequest, gantryv1.PodExecResponse]) error {
	first, err := s.Recv()
	if err != nil {
		return err
	}
	st := first.GetStart()
	if st.GetContainer() == "missing" {
		return status.Error(codes.NotFound, "container missing is not valid")
	}
	out := func(b string) error {
		return s.Send(&gantryv1.PodExecResponse{Msg: &gantryv1.PodExecResponse_Stdout{Stdout: []byte(b)}})
	}
	exit := func(code int32) error {
		return s.Send(&gantryv1.PodExecResponse{Msg: &gantryv1.PodExecResponse_Exit{Exit: &gantryv1.ExecExit{ExitCode: code}}})
	}
	if err := out(fmt.Sprintf("%s/%s uid=%s cmd=%s stdin=%v tty=%v size=%dx%d", st.GetNamespace(), st.GetName(), st.GetUid(),
		strings.Join(st.GetCommand(), " "), st.GetStdin(), st.GetTty(), st.GetTerminalSize().GetWidth(), st.GetTerminalSize().GetHeight())); err != nil {
		return err
	}
	for {
		m, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return exit(4)
		}
		if err != nil {
			return err
		}
		switch {
		case m.GetStdin() != nil:
			err = out("in:" + string(m.GetStdin()))
		case m.GetResize() != nil:
			err = s.Send(&gantryv1.PodExecResponse{Msg: &gantryv1.PodExecResponse_Stderr{Stderr: []byte(
				fmt.Sprintf("resize %dx%d", m.GetResize().GetWidth(), m.GetResize().GetHeight()))}})
		case m.GetStdinEof():
			return exit(3)
		}
		if err != nil {
			return err
		}
	}
}

type execClient = grpc.BidiStreamingClient[gantryv1.ExecRequest, gantryv1.ExecResponse]

func execStart(st *gantryv1.ExecStart) *gantryv1.ExecRequest {
	return &gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_Start{Start: st}}
}

func execStdin(b []byte) *gantryv1.ExecRequest {
	return &gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_Stdin{Stdin: b}}
}

// recvExec returns the next response, failing the test on an error.
func recvExec(t *testing.T, s execClient) *gantryv1.ExecResponse {
	t.Helper()
	m, err := s.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return m
}

// execError sends msgs and returns the status that ends the session.
func execError(ctx context.Context, c gantryv1.PodServiceClient, msgs ...*gantryv1.ExecRequest) error {
	s, err := c.Exec(ctx)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := s.Send(m); err != nil {
			break
		}
	}
	for {
		m, err := s.Recv()
		if err != nil {
			return err
		}
		if m.GetExit() != nil {
			return fmt.Errorf("session ended with exit %v, not an error", m.GetExit())
		}
	}
}

func TestPodServiceExecRelaysToTheNodeAgent(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ip, port := startFakeAgent(t)
	res := c.Leader().Resource
	for _, o := range []*gantryv1.Object{agentNode("n1", ip, port), agentNode("dead", "127.0.0.1", closedPort(t)),
		logsPod("web", "n1"), logsPod("unbound", ""), logsPod("lost", "no-such-node"), logsPod("stranded", "dead")} {
		created, err := res.Create(ctx, &gantryv1.CreateRequest{Object: o})
		if err != nil {
			t.Fatal(err)
		}
		if n := o.GetNode(); n != nil {
			n.Metadata = created.GetObject().GetNode().GetMetadata()
			if _, err := res.UpdateStatus(ctx, &gantryv1.UpdateStatusRequest{Object: o}); err != nil {
				t.Fatal(err)
			}
		}
	}
	web, err := res.Get(ctx, &gantryv1.GetRequest{Kind: "Pod", Namespace: "default", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	uid := web.GetObject().GetPod().GetMetadata().GetUid()

	// Any master relays, followers included.
	conn, err := grpc.NewClient(c.Followers()[0].Cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pods := gantryv1.NewPodServiceClient(conn)

	s, err := pods.Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(execStart(&gantryv1.ExecStart{Name: "web", Command: []string{"sh", "-c", "x"}, Stdin: true, Tty: true,
		TerminalSize: &gantryv1.TerminalSize{Width: 80, Height: 24}})); err != nil {
		t.Fatal(err)
	}
	want := "default/web uid=" + uid + " cmd=sh -c x stdin=true tty=true size=80x24"
	if got := string(recvExec(t, s).GetStdout()); got != want {
		t.Fatalf("the agent was asked %q, want %q (namespace defaulted, uid filled in)", got, want)
	}
	_ = s.Send(execStdin([]byte("hello")))
	if got := string(recvExec(t, s).GetStdout()); got != "in:hello" {
		t.Fatalf("stdin echo = %q", got)
	}
	_ = s.Send(&gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_Resize{Resize: &gantryv1.TerminalSize{Width: 100, Height: 40}}})
	if got := string(recvExec(t, s).GetStderr()); got != "resize 100x40" {
		t.Fatalf("resize echo on stderr = %q", got)
	}
	_ = s.Send(&gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_StdinEof{StdinEof: true}})
	if got := recvExec(t, s).GetExit(); got.GetExitCode() != 3 {
		t.Fatalf("exit = %v, want code 3", got)
	}
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after exit: %v, want the session's clean end", err)
	}

	// Closing the client's side reaches the agent.
	s, err = pods.Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Send(execStart(&gantryv1.ExecStart{Namespace: "default", Name: "web", Command: []string{"true"}, Uid: uid}))
	_ = s.CloseSend()
	recvExec(t, s) // what the agent was asked
	if got := recvExec(t, s).GetExit(); got.GetExitCode() != 4 {
		t.Fatalf("exit after CloseSend = %v, want code 4", got)
	}

	ok := &gantryv1.ExecStart{Name: "web", Command: []string{"true"}}
	for _, tc := range []struct {
		what string
		msgs []*gantryv1.ExecRequest
		want codes.Code
		msg  string
	}{
		{"no name", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Command: []string{"true"}})}, codes.InvalidArgument, "start.name"},
		{"no command", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Name: "web"})}, codes.InvalidArgument, "start.command"},
		{"stdin first", []*gantryv1.ExecRequest{execStdin([]byte("x"))}, codes.InvalidArgument, "start: Required"},
		{"no pod", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Name: "nope", Command: []string{"true"}})}, codes.NotFound, "nope"},
		{"unbound", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Name: "unbound", Command: []string{"true"}})}, codes.FailedPrecondition, "not bound"},
		{"unknown node", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Name: "lost", Command: []string{"true"}})}, codes.FailedPrecondition, "unknown"},
		{"agent down", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Name: "stranded", Command: []string{"true"}})}, codes.Unavailable, "unreachable"},
		{"agent's answer", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Name: "web", Container: "missing", Command: []string{"true"}})}, codes.NotFound, "container missing"},
		{"other uid", []*gantryv1.ExecRequest{execStart(&gantryv1.ExecStart{Name: "web", Uid: "other", Command: []string{"true"}})}, codes.NotFound, "not other"},
		{"big stdin", []*gantryv1.ExecRequest{execStart(ok), execStdin(make([]byte, execstream.ChunkSize+1))}, codes.ResourceExhausted, "stdin: Too long"},
		{"second start", []*gantryv1.ExecRequest{execStart(ok), execStart(ok)}, codes.InvalidArgument, "only the first message"},
	} {
		err := execError(ctx, pods, tc.msgs...)
		if st, _ := status.FromError(err); st.Code() != tc.want || !strings.Contains(st.Message(), tc.msg) {
			t.Errorf("%s: %v, want %s mentioning %q", tc.what, err, tc.want, tc.msg)
		}
	}
}
