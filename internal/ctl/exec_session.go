package ctl

import (
	"context"
	"errors"
	"io"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/execstream"
)

// execSession is one exec stream: it sends stdin (and terminal resizes)
// and writes the command's output until the exit message.
type execSession struct {
	e     *env
	start *gantryv1.ExecStart
	in    io.Reader // nil without -i
	term  *terminal // nil without a TTY

	mu     sync.Mutex // Send is not safe from two goroutines
	stream gantryv1.PodService_ExecClient
}

func (s *execSession) send(m *gantryv1.ExecRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream.Send(m)
}

// run streams the session and returns its exit message. The terminal, if
// any, is raw only while it runs.
func (s *execSession) run(ctx context.Context) (*gantryv1.ExecExit, error) {
	cl, err := s.e.client()
	if err != nil {
		return nil, err
	}
	// The session lasts as long as the command: no request timeout.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.term != nil {
		s.start.Tty = true
		s.start.TerminalSize = s.term.size()
		restore, err := s.term.makeRaw()
		if err != nil {
			return nil, err
		}
		defer restore()
	}
	if s.stream, err = gantryv1.NewPodServiceClient(cl.Conn()).Exec(ctx); err != nil {
		return nil, err
	}
	// A failed Send means the session ended; Recv says why.
	if s.send(&gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_Start{Start: s.start}}) == nil {
		if s.in != nil {
			go s.pumpStdin()
		}
		if s.term != nil {
			stop := s.term.watchResize(func(size *gantryv1.TerminalSize) {
				_ = s.send(&gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_Resize{Resize: size}})
			})
			defer stop()
		}
	}
	return s.receive(ctx)
}

// pumpStdin sends stdin in bounded chunks, then its end.
func (s *execSession) pumpStdin() {
	buf := make([]byte, execstream.ChunkSize)
	for {
		n, err := s.in.Read(buf)
		if n > 0 {
			if s.send(&gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_Stdin{Stdin: append([]byte(nil), buf[:n]...)}}) != nil {
				return
			}
		}
		if err != nil {
			_ = s.send(&gantryv1.ExecRequest{Msg: &gantryv1.ExecRequest_StdinEof{StdinEof: true}})
			return
		}
	}
}

// errNoExit: the server ended the session cleanly but said no exit code.
var errNoExit = errors.New("the session ended without the command's exit code")

func (s *execSession) receive(ctx context.Context) (*gantryv1.ExecExit, error) {
	var exit *gantryv1.ExecExit
	for {
		m, err := s.stream.Recv()
		if errors.Is(err, io.EOF) {
			if exit == nil {
				return nil, errNoExit
			}
			return exit, nil
		}
		if err != nil {
			if ctx.Err() != nil && exit == nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		switch msg := m.GetMsg().(type) {
		case *gantryv1.ExecResponse_Stdout:
			if _, err := s.e.out().Write(msg.Stdout); err != nil {
				return nil, err
			}
		case *gantryv1.ExecResponse_Stderr:
			if _, err := s.e.errOut().Write(msg.Stderr); err != nil {
				return nil, err
			}
		case *gantryv1.ExecResponse_Exit:
			exit = msg.Exit
		}
	}
}
