package printer

import (
	"io"
	"strings"
	"unicode/utf8"
)

// kubectl's tabwriter settings: a column is as wide as its widest cell
// plus 3 spaces, and at least 6.
const (
	minWidth = 6
	padding  = 3
)

// aligner lays rows out in columns the way kubectl's tabwriter does, and
// remembers column widths across batches (kubectl's RememberWidths, which
// text/tabwriter lacks) so a streaming table keeps its columns where the
// first batch put them, widening only for a longer cell.
type aligner struct {
	w      io.Writer
	widths []int
}

// write lays out rows and writes them in one call. The last cell of a
// row is not padded.
func (a *aligner) write(rows [][]string) error {
	for _, r := range rows {
		for i, c := range r[:max(len(r)-1, 0)] {
			for len(a.widths) <= i {
				a.widths = append(a.widths, minWidth)
			}
			a.widths[i] = max(a.widths[i], utf8.RuneCountInString(c)+padding)
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", a.widths[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(a.w, b.String())
	return err
}
