package runtime

import (
	"errors"
	"fmt"
	"io"
)

// Errors of Exec.
var (
	// ErrNotRunning is returned for a container that exists but is not
	// running, so nothing can be run inside it.
	ErrNotRunning = errors.New("runtime: container is not running")
	// ErrUnsupported is returned by runtimes that cannot exec at all.
	ErrUnsupported = errors.New("runtime: not supported")
)

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Width, Height uint16
}

// ExecOptions describe a command to run in a running container.
type ExecOptions struct {
	PodUID, Container string
	// Command is the argv; Command[0] is resolved in the container's PATH.
	Command []string
	// Stdin, when nil, gives the command an empty input. Exec does not
	// wait for a blocked Read on Stdin to return: the caller ends it
	// (closes its pipe) after Exec returns.
	Stdin io.Reader
	// Stdout and Stderr receive the output; with TTY everything goes to
	// Stdout, as on a terminal. Writes come from one goroutine per stream.
	Stdout, Stderr io.Writer
	// TTY runs the command on a new pseudo-terminal of Size, resized to
	// every size received on Resize.
	TTY    bool
	Size   TerminalSize
	Resize <-chan TerminalSize
}

// Exit codes of commands that could not be started, as a shell reports them.
const (
	ExitCannotExecute = 126
	ExitNotFound      = 127
)

// ExecStartError is returned by Exec when the command could not be
// started; Code is ExitNotFound or ExitCannotExecute.
type ExecStartError struct {
	Code int
	Err  error
}

func (e *ExecStartError) Error() string { return fmt.Sprintf("exec: %v", e.Err) }

func (e *ExecStartError) Unwrap() error { return e.Err }
