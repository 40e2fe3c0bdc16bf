package execstream

import (
	"fmt"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Limits of an exec session.
const (
	// ChunkSize bounds the bytes of one stdin, stdout or stderr message.
	ChunkSize = 32 << 10
	// MaxArgs bounds the command's arguments, MaxCommandBytes their
	// total size.
	MaxArgs         = 1024
	MaxCommandBytes = 64 << 10
)

// CheckStart says what is wrong with a session's first message, naming
// the field and the rule; nil when it is fine.
func CheckStart(s *gantryv1.ExecStart) error {
	if s == nil {
		return fmt.Errorf("start: Required value: the first message must carry start")
	}
	cmd := s.GetCommand()
	switch {
	case s.GetName() == "":
		return fmt.Errorf("start.name: Required value")
	case len(cmd) == 0:
		return fmt.Errorf("start.command: Required value: the command to run")
	case cmd[0] == "":
		return fmt.Errorf("start.command[0]: Required value: the program to run")
	case len(cmd) > MaxArgs:
		return fmt.Errorf("start.command: Too many: %d arguments, at most %d", len(cmd), MaxArgs)
	}
	total := 0
	for i, a := range cmd {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("start.command[%d]: Invalid value: contains a NUL byte", i)
		}
		total += len(a)
	}
	if total > MaxCommandBytes {
		return fmt.Errorf("start.command: Too long: %d bytes, at most %d", total, MaxCommandBytes)
	}
	return nil
}

// CheckStdin says whether one stdin message is within ChunkSize.
func CheckStdin(b []byte) error {
	if len(b) > ChunkSize {
		return fmt.Errorf("stdin: Too long: %d bytes in one message, at most %d", len(b), ChunkSize)
	}
	return nil
}

// Writer sends what is written to it in chunks of at most ChunkSize.
type Writer struct {
	send func(chunk []byte) error
}

// NewWriter returns a Writer that calls send with each chunk, a copy the
// callee may keep.
func NewWriter(send func(chunk []byte) error) *Writer { return &Writer{send: send} }

func (w *Writer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), ChunkSize)
		if err := w.send(append([]byte(nil), p[:k]...)); err != nil {
			return n, err
		}
		n, p = n+k, p[k:]
	}
	return n, nil
}
