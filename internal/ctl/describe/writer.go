package describe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Indent levels, as kubectl's PrefixWriter has them: two spaces each.
const (
	level0 = iota
	level1
	level2
	level3
)

// writer is kubectl's PrefixWriter: every line goes through one
// tabwriter, so the "Key:\tvalue" lines of a block line up.
type writer struct {
	out *errWriter
	tw  *tabwriter.Writer
}

func newWriter(out io.Writer) *writer {
	ew := &errWriter{w: out}
	// kubectl describe's tabwriter settings.
	return &writer{out: ew, tw: tabwriter.NewWriter(ew, 0, 8, 2, ' ', 0)}
}

// write writes format at level's indent. format is always a literal of
// this package; values go in args so a '%' in them is printed as is.
func (w *writer) write(level int, format string, args ...any) {
	fmt.Fprintf(w.tw, strings.Repeat("  ", level)+format, args...)
}

// raw writes text as is, past the tabwriter (after flushing it), for
// free-form content such as YAML or ConfigMap values whose tabs must not
// become columns.
func (w *writer) raw(text string) {
	_ = w.tw.Flush()
	_, _ = io.WriteString(w.out, text)
}

// flush ends the output and reports the first write error.
func (w *writer) flush() error {
	_ = w.tw.Flush()
	return w.out.err
}

// errWriter remembers the first write error and writes nothing after it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
