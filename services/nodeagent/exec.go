package nodeagent

import (
	"context"
	"errors"
	"io"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/execstream"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxExecs bounds the exec sessions one agent runs at once; more are
// refused with RESOURCE_EXHAUSTED rather than queued.
const maxExecs = 64

type execStream = grpc.BidiStreamingServer[gantryv1.PodExecRequest, gantryv1.PodExecResponse]

// PodExec runs a command in a running container of a pod on this node.
// The session ends with an exit message: the command's exit code, or 126
// or 127 with an error when it could not be started (as a shell reports
// it). A pod not here is NOT_FOUND; a container not running, or a node
// that runs nothing (simulated), FAILED_PRECONDITION.
func (s *agentService) PodExec(stream execStream) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	start := first.GetStart()
	if err := execstream.CheckStart(start); err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	ns := start.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	pod, n, ok := s.a.findPod(ns, start.GetName())
	if !ok || start.GetUid() != "" && pod.GetMetadata().GetUid() != start.GetUid() {
		return status.Errorf(codes.NotFound, "pod %s/%s is not on this node", ns, start.GetName())
	}
	container, err := pickContainer(pod, start.GetContainer())
	if err != nil {
		return err
	}
	select {
	case s.a.execs <- struct{}{}:
		defer func() { <-s.a.execs }()
	default:
		return status.Errorf(codes.ResourceExhausted, "node agent runs %d exec sessions already, its limit", maxExecs)
	}
	return s.runExec(stream, start, runtime.ExecOptions{PodUID: pod.GetMetadata().GetUid(), Container: container,
		Command: start.GetCommand(), TTY: start.GetTty(),
		Size: runtime.TerminalSize{Width: clampSize(start.GetTerminalSize().GetWidth()), Height: clampSize(start.GetTerminalSize().GetHeight())}},
		n.rt)
}

func (s *agentService) runExec(stream execStream, start *gantryv1.ExecStart, opts runtime.ExecOptions, rt runtime.Runtime) error {
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	var sendMu sync.Mutex // Send is not safe from two goroutines
	send := func(m *gantryv1.PodExecResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(m)
	}
	opts.Stdout = execstream.NewWriter(func(b []byte) error {
		return send(&gantryv1.PodExecResponse{Msg: &gantryv1.PodExecResponse_Stdout{Stdout: b}})
	})
	opts.Stderr = execstream.NewWriter(func(b []byte) error {
		return send(&gantryv1.PodExecResponse{Msg: &gantryv1.PodExecResponse_Stderr{Stderr: b}})
	})
	resize := make(chan runtime.TerminalSize, 1)
	opts.Resize = resize
	in := &execInput{stream: stream, resize: resize, fail: cancel}
	if start.GetStdin() {
		pr, pw := io.Pipe()
		// Ends a copy blocked on the pipe once the command is gone.
		defer pr.Close()
		opts.Stdin, in.stdin = pr, pw
	}
	go in.run()
	code, err := rt.Exec(ctx, opts)
	if cause := context.Cause(ctx); ctx.Err() != nil {
		if _, ok := status.FromError(cause); ok {
			return cause
		}
		return status.FromContextError(ctx.Err()).Err()
	}
	exit := &gantryv1.ExecExit{ExitCode: int32(code)}
	var se *runtime.ExecStartError
	switch {
	case errors.As(err, &se):
		exit.ExitCode, exit.Error = int32(se.Code), se.Error()
	case errors.Is(err, runtime.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, runtime.ErrNotRunning), errors.Is(err, runtime.ErrUnsupported):
		return status.Error(codes.FailedPrecondition, err.Error())
	case err != nil:
		return status.Error(codes.Internal, err.Error())
	}
	return send(&gantryv1.PodExecResponse{Msg: &gantryv1.PodExecResponse_Exit{Exit: exit}})
}

// execInput feeds the client's messages after start to the command.
type execInput struct {
	stream execStream
	stdin  *io.PipeWriter // nil without stdin
	resize chan runtime.TerminalSize
	fail   context.CancelCauseFunc
}

// run reads until the client closes its side (which ends stdin, not the
// command) or the stream ends.
func (in *execInput) run() {
	defer in.closeStdin()
	for {
		m, err := in.stream.Recv()
		if err != nil {
			return
		}
		switch msg := m.GetMsg().(type) {
		case *gantryv1.PodExecRequest_Stdin:
			if err := execstream.CheckStdin(msg.Stdin); err != nil {
				in.fail(status.Error(codes.ResourceExhausted, err.Error()))
				return
			}
			if in.stdin != nil {
				// After stdin_eof or the command's end this fails; the
				// bytes have nowhere to go.
				_, _ = in.stdin.Write(msg.Stdin)
			}
		case *gantryv1.PodExecRequest_StdinEof:
			in.closeStdin()
		case *gantryv1.PodExecRequest_Resize:
			in.setSize(runtime.TerminalSize{Width: clampSize(msg.Resize.GetWidth()), Height: clampSize(msg.Resize.GetHeight())})
		case *gantryv1.PodExecRequest_Start:
			in.fail(status.Error(codes.InvalidArgument, "start: Forbidden: only the first message may carry start"))
			return
		}
	}
}

func (in *execInput) closeStdin() {
	if in.stdin != nil {
		_ = in.stdin.Close()
	}
}

// setSize queues the newest size, replacing one not applied yet.
func (in *execInput) setSize(s runtime.TerminalSize) {
	for {
		select {
		case in.resize <- s:
			return
		default:
		}
		select {
		case <-in.resize:
		default:
		}
	}
}

// clampSize fits a terminal dimension into the kernel's 16 bits.
func clampSize(v uint32) uint16 { return uint16(min(v, 0xffff)) }
