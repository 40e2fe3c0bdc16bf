package testutil

import (
	"bytes"
	"runtime/pprof"
)

// Goroutines returns every goroutine's stack, for a test to print when
// something it waits on never ends.
func Goroutines() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return b.String()
}
