package ctl

import (
	"fmt"
	"testing"

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
