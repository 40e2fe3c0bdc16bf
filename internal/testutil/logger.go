package testutil

import (
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// clusterLogger logs warnings and errors into the test until its cleanups
// have run. A member that failed to stop is reported by Stop; its
// goroutines logging on into the finished test would panic the test
// binary and take every later test of the package with them.
func clusterLogger(t testing.TB) *zap.Logger {
	lt := &liveT{TB: t}
	t.Cleanup(lt.end) // registered first: runs after the cluster's stop
	return zaptest.NewLogger(lt, zaptest.Level(zap.WarnLevel))
}

// liveT drops what is logged once the test has ended.
type liveT struct {
	testing.TB
	mu    sync.RWMutex
	ended bool
}

func (l *liveT) end() {
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
}

func (l *liveT) Logf(format string, args ...any) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.ended {
		l.TB.Logf(format, args...)
	}
}

func (l *liveT) Errorf(format string, args ...any) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.ended {
		l.TB.Errorf(format, args...)
	}
}

func (l *liveT) Fail() {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.ended {
		l.TB.Fail()
	}
}
