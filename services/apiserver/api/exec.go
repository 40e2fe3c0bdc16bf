package api

import (
	"context"
	"errors"
	"fmt"
	"io"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/execstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

type (
	execServer = grpc.BidiStreamingServer[gantryv1.ExecRequest, gantryv1.ExecResponse]
	execAgent  = grpc.BidiStreamingClient[gantryv1.PodExecRequest, gantryv1.PodExecResponse]
)

// Exec checks the session's first message, finds the pod's node and
// relays the session to its agent and back, as the Kubernetes API server
// proxies kubectl exec to the kubelet. The agent's statuses pass through
// unchanged; an agent that cannot be reached is UNAVAILABLE.
func (p *podService) Exec(stream execServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	start := first.GetStart()
	if err := execstream.CheckStart(start); err != nil {
		return toStatus(fmt.Errorf("%w: %v", errInvalid, err))
	}
	fwd := proto.CloneOf(start)
	if fwd.Namespace == "" {
		fwd.Namespace = "default"
	}
	pod, addr, err := p.s.podAgent(stream.Context(), fwd.GetNamespace(), fwd.GetName())
	if err != nil {
		return err
	}
	if uid := pod.GetMetadata().GetUid(); fwd.GetUid() != "" && fwd.GetUid() != uid {
		return status.Errorf(codes.NotFound, "pod %s/%s has uid %s, not %s", fwd.GetNamespace(), fwd.GetName(), uid, fwd.GetUid())
	}
	// The agent checks the uid, so the pod it runs the command in is this
	// one and not a newer pod of the same name.
	fwd.Uid = pod.GetMetadata().GetUid()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return status.Errorf(codes.Unavailable, "node agent at %s: %v", addr, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	agent, err := gantryv1.NewNodeAgentServiceClient(conn).PodExec(ctx)
	if err != nil {
		return agentError(addr, err)
	}
	// A failed Send means the agent ended the session; Recv says why.
	if err := agent.Send(&gantryv1.PodExecRequest{Msg: &gantryv1.PodExecRequest_Start{Start: fwd}}); err == nil {
		go relayExecInput(stream, agent, cancel)
	}
	err = relayExecOutput(agent, stream)
	if cause := context.Cause(ctx); ctx.Err() != nil {
		if _, ok := status.FromError(cause); ok && cause != nil {
			return cause
		}
	}
	return agentError(addr, err)
}

// relayExecInput forwards the client's messages after start until the
// client closes its side (then the agent's side is closed too) or fails.
// A bad message ends the session through fail.
func relayExecInput(in execServer, out execAgent, fail context.CancelCauseFunc) {
	for {
		m, err := in.Recv()
		if errors.Is(err, io.EOF) {
			_ = out.CloseSend()
			return
		}
		if err != nil {
			return
		}
		var fwd gantryv1.PodExecRequest
		switch msg := m.GetMsg().(type) {
		case *gantryv1.ExecRequest_Stdin:
			if err := execstream.CheckStdin(msg.Stdin); err != nil {
				fail(toStatus(fmt.Errorf("%w: %v", errTooLarge, err)))
				return
			}
			fwd.Msg = &gantryv1.PodExecRequest_Stdin{Stdin: msg.Stdin}
		case *gantryv1.ExecRequest_StdinEof:
			fwd.Msg = &gantryv1.PodExecRequest_StdinEof{StdinEof: msg.StdinEof}
		case *gantryv1.ExecRequest_Resize:
			fwd.Msg = &gantryv1.PodExecRequest_Resize{Resize: msg.Resize}
		case *gantryv1.ExecRequest_Start:
			fail(toStatus(fmt.Errorf("%w: start: Forbidden: only the first message may carry start", errInvalid)))
			return
		default:
			continue // an empty message, or a kind this master does not know
		}
		if err := out.Send(&fwd); err != nil {
			return // the agent ended the session; the output side reports it
		}
	}
}

// relayExecOutput forwards the agent's messages until it ends the session.
func relayExecOutput(in execAgent, out execServer) error {
	for {
		m, err := in.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var fwd gantryv1.ExecResponse
		switch msg := m.GetMsg().(type) {
		case *gantryv1.PodExecResponse_Stdout:
			fwd.Msg = &gantryv1.ExecResponse_Stdout{Stdout: msg.Stdout}
		case *gantryv1.PodExecResponse_Stderr:
			fwd.Msg = &gantryv1.ExecResponse_Stderr{Stderr: msg.Stderr}
		case *gantryv1.PodExecResponse_Exit:
			fwd.Msg = &gantryv1.ExecResponse_Exit{Exit: msg.Exit}
		default:
			continue
		}
		if err := out.Send(&fwd); err != nil {
			return err
		}
	}
}
