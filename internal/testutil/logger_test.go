package testutil

import (
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
)

// recordingT counts what reaches the test's log.
type recordingT struct {
	testing.TB
	logged atomic.Int32
}

func (r *recordingT) Logf(format string, args ...any) {
	r.logged.Add(1)
	r.TB.Logf(format, args...)
}

// TestClusterLoggerOutlivesTheTest: what a member logs after its test
// ended — as one that failed to stop would — never reaches the test (for
// a top-level test, testing panics the whole binary on it).
func TestClusterLoggerOutlivesTheTest(t *testing.T) {
	var (
		lg  *zap.Logger
		rec *recordingT
	)
	t.Run("inner", func(t *testing.T) {
		rec = &recordingT{TB: t}
		lg = clusterLogger(rec)
		lg.Warn("while the test runs")
	})
	if n := rec.logged.Load(); n != 1 {
		t.Fatalf("%d lines logged while the test ran, want 1", n)
	}
	lg.Error("after the test ended")
	if n := rec.logged.Load(); n != 1 {
		t.Fatalf("a line logged after the test ended reached it (%d lines)", n)
	}
}
