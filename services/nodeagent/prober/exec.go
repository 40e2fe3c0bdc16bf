package prober

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

// maxOutput bounds what is kept of an exec probe's output (the kubelet
// keeps 10 KiB); it only serves the failure message.
const maxOutput = 10 << 10

// maxMessage bounds the output quoted in a failure message.
const maxMessage = 1 << 10

// checkExec runs command in the container; exit code 0 succeeds. When the
// timeout ends it first, the runtime kills the command.
func checkExec(ctx context.Context, ex Execer, uid, container string, command []string, timeout time.Duration) (result, string, error) {
	if ex == nil {
		return unknown, "", fmt.Errorf("%w: this runtime cannot exec", errConfig)
	}
	out := &boundedBuffer{max: maxOutput}
	code, err := ex.Exec(ctx, runtime.ExecOptions{PodUID: uid, Container: container, Command: command, Stdout: out, Stderr: out})
	var startErr *runtime.ExecStartError
	switch {
	case errors.As(err, &startErr):
		return failure, fmt.Sprintf("command %q: %v", strings.Join(command, " "), startErr.Err), nil
	case ctx.Err() != nil:
		return failure, fmt.Sprintf("command %q timed out after %s", strings.Join(command, " "), timeout), nil
	case err != nil:
		// The container exited under the probe, or the runtime failed:
		// that says nothing about the container's health.
		return unknown, "", err
	case code == 0:
		return success, "", nil
	}
	msg := strings.TrimSpace(out.String())
	if msg == "" {
		return failure, fmt.Sprintf("command %q exited with %d", strings.Join(command, " "), code), nil
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	return failure, msg, nil
}

// boundedBuffer keeps the first max bytes written to it, from any number
// of goroutines, and swallows the rest so the command never blocks.
type boundedBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *boundedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
