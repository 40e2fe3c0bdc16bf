package ctl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestDescribeErrKeepsOurContextAndTheServersMessage(t *testing.T) {
	srv := status.Error(codes.NotFound, `Deployment "web" not found`)
	err := fmt.Errorf("deployment/%s: %w", "web", srv)
	want := `deployment/web: not found: Deployment "web" not found`
	if got := describeErr(err); got != want {
		t.Fatalf("describeErr = %q, want %q", got, want)
	}
	if got := describeErr(fmt.Errorf("outer: %w", err)); got != "outer: "+want {
		t.Fatalf("twice wrapped: %q", got)
	}
}

func TestDescribeErrWordsForEveryCode(t *testing.T) {
	for code, words := range map[codes.Code]string{
		codes.NotFound:           "not found",
		codes.AlreadyExists:      "already exists",
		codes.Aborted:            "conflict (the object changed since it was read; try again)",
		codes.FailedPrecondition: "precondition failed",
		codes.InvalidArgument:    "invalid",
		codes.OutOfRange:         "out of range",
		codes.Unavailable:        "cluster unavailable (is it running? check --server or the client config)",
		codes.ResourceExhausted:  "too large or rate limited",
		codes.Unauthenticated:    "not authenticated",
		codes.PermissionDenied:   "permission denied",
		codes.DeadlineExceeded:   "timed out (raise --request-timeout?)",
		codes.Canceled:           "cancelled",
		codes.Unimplemented:      "not supported by this server",
		codes.Internal:           "server error",
		codes.DataLoss:           "server error",
	} {
		err := fmt.Errorf("pod/x: %w", status.Error(code, "the detail"))
		want := "pod/x: " + words + ": the detail"
		if got := describeErr(err); got != want {
			t.Errorf("%s: describeErr = %q, want %q", code, got, want)
		}
		// Without a message of its own, the words alone.
		if got := describeErr(fmt.Errorf("pod/x: %w", status.Error(code, ""))); got != "pod/x: "+words {
			t.Errorf("%s without a message: %q", code, got)
		}
		if strings.Contains(describeErr(err), "rpc error") || strings.Contains(describeErr(err), "desc =") {
			t.Errorf("%s: gRPC jargon in %q", code, describeErr(err))
		}
	}
}

// TestDescribeErrUnknownCode: a status without a known code keeps the
// server's message and our prefix, and no gRPC jargon.
func TestDescribeErrUnknownCode(t *testing.T) {
	err := fmt.Errorf("deployment/web: %w", status.Error(codes.Unknown, "the agent crashed"))
	if got := describeErr(err); got != "deployment/web: the agent crashed" {
		t.Fatalf("describeErr = %q", got)
	}
	if got := describeErr(status.Error(codes.Unknown, "boom")); got != "boom" {
		t.Fatalf("bare Unknown status: %q", got)
	}
}

func TestDescribeErrPlainErrorsUntouched(t *testing.T) {
	err := fmt.Errorf("web.yaml: %w", errors.New("no such file"))
	if got := describeErr(err); got != "web.yaml: no such file" {
		t.Fatalf("describeErr = %q", got)
	}
}

// TestDescribeErrDoesNotRepeatTheWords: the server's message already
// starting with the code's words ("not found: Deployment ...") does not
// make "not found: not found: ...".
func TestDescribeErrDoesNotRepeatTheWords(t *testing.T) {
	err := fmt.Errorf("deployment/web: %w", status.Error(codes.NotFound, `not found: Deployment "default/web"`))
	if got := describeErr(err); got != `deployment/web: not found: Deployment "default/web"` {
		t.Fatalf("describeErr = %q", got)
	}
	err = fmt.Errorf("x: %w", status.Error(codes.InvalidArgument, "invalidated cache"))
	if got := describeErr(err); got != "x: invalid: invalidated cache" {
		t.Fatalf("a message starting with the words but not as a word: %q", got)
	}
}

func TestDescribeErrDeadline(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("pod/x: %w", ctx.Err()), "pod/x: timed out (raise --request-timeout?)"},
		{fmt.Errorf("pod/x: %w (after 3 attempts)", ctx.Err()), "pod/x: timed out (raise --request-timeout?) (after 3 attempts)"},
		{fmt.Errorf("pod/x: %w", status.Error(codes.DeadlineExceeded, "")), "pod/x: timed out (raise --request-timeout?)"},
	} {
		if got := describeErr(tc.err); got != tc.want {
			t.Errorf("describeErr(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestReportOneLine: whatever the error, report prints exactly one line
// starting "error: " and says exit 1; an ExitError prints nothing and
// passes its code.
func TestReportOneLine(t *testing.T) {
	for _, err := range []error{
		errors.New("first line\nsecond line\n\tthird"),
		fmt.Errorf("deployment/web: %w", status.Error(codes.InvalidArgument, "spec.replicas: Invalid value: -1\nspec.selector: Required value")),
		fmt.Errorf("a: %w", status.Error(codes.Unknown, "multi\nline")),
	} {
		var b strings.Builder
		if code := report(&b, err); code != 1 {
			t.Errorf("report(%q) = %d, want 1", err, code)
		}
		out := b.String()
		if !strings.HasPrefix(out, "error: ") || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
			t.Errorf("report(%q) printed %q, want one line", err, out)
		}
	}
	var b strings.Builder
	if code := report(&b, fmt.Errorf("exec: %w", &ExitError{Code: 7})); code != 7 || b.Len() != 0 {
		t.Fatalf("ExitError: code %d, printed %q", code, b.String())
	}
	// The words and the server's message both survive the joining.
	b.Reset()
	report(&b, fmt.Errorf("deployment/web: %w", status.Error(codes.InvalidArgument, "spec.replicas: bad\nspec.selector: Required value")))
	if want := "error: deployment/web: invalid: spec.replicas: bad spec.selector: Required value\n"; b.String() != want {
		t.Fatalf("report = %q, want %q", b.String(), want)
	}
}

// TestDescribeErrJoined: a status inside a joined error is found too.
func TestDescribeErrJoined(t *testing.T) {
	err := fmt.Errorf("apply: %w", errors.Join(errors.New("first"), status.Error(codes.NotFound, "gone")))
	if got := describeErr(err); !strings.Contains(got, "not found: gone") || strings.Contains(got, "rpc error") {
		t.Fatalf("describeErr = %q", got)
	}
}
