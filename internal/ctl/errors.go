package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ExitError ends gantryctl with Code and no message of its own: exec uses
// it to pass the remote command's exit code back.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit code %d", e.Code) }

// report prints err as one line and returns the exit code.
func report(w io.Writer, err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	fmt.Fprintln(w, "error:", oneLine(describeErr(err)))
	return 1
}

// describeErr turns gRPC statuses anywhere in err's chain into words. The
// server's message already names the object and the rule; the code says
// what kind of failure it was.
func describeErr(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		// The deadline may sit anywhere in the text ("...: context
		// deadline exceeded (after 3 attempts)"); say it in words there.
		s, dl := err.Error(), context.DeadlineExceeded.Error()
		if i := strings.LastIndex(s, dl); i >= 0 {
			return s[:i] + timedOut + s[i+len(dl):]
		}
		return s + ": " + timedOut
	}
	st, ok := grpcStatus(err)
	if !ok {
		return err.Error()
	}
	words := codeWords(st.Code())
	msg := st.Message()
	prefix := prefixOf(err, st)
	// Some server messages already start with the words ("not found:
	// Deployment ..."); saying them twice reads as a stutter.
	if words == "" || msg == words || strings.HasPrefix(msg, words+":") {
		return prefix + msg
	}
	if msg == "" {
		return prefix + words
	}
	return prefix + words + ": " + msg
}

const timedOut = "timed out (raise --request-timeout?)"

// grpcStatus finds a gRPC status in err's chain (the client wraps them).
// It asks each error for its own status: status.FromError on a wrapping
// error returns a status whose message is the whole wrapped text, "rpc
// error: code = ... desc = ..." included.
func grpcStatus(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return nil, false
	}
	if st := se.GRPCStatus(); st.Code() != codes.OK {
		return st, true
	}
	return nil, false
}

// prefixOf keeps the context our own code wrapped around a status
// ("deployment/web: ..."), dropping the status's own text.
func prefixOf(err error, st *status.Status) string {
	full := err.Error()
	raw := st.Err().Error()
	if i := strings.Index(full, raw); i > 0 {
		return full[:i]
	}
	return ""
}

func codeWords(c codes.Code) string {
	switch c {
	case codes.NotFound:
		return "not found"
	case codes.AlreadyExists:
		return "already exists"
	case codes.Aborted:
		return "conflict (the object changed since it was read; try again)"
	case codes.FailedPrecondition:
		return "precondition failed"
	case codes.InvalidArgument:
		return "invalid"
	case codes.OutOfRange:
		return "out of range"
	case codes.Unavailable:
		return "cluster unavailable (is it running? check --server or the client config)"
	case codes.ResourceExhausted:
		return "too large or rate limited"
	case codes.Unauthenticated:
		return "not authenticated"
	case codes.PermissionDenied:
		return "permission denied"
	case codes.DeadlineExceeded:
		return timedOut
	case codes.Canceled:
		return "cancelled"
	case codes.Unimplemented:
		return "not supported by this server"
	case codes.Internal, codes.DataLoss:
		return "server error"
	}
	return ""
}

// oneLine keeps a multi-line message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
