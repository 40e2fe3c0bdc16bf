package printer

import (
	"errors"
	"fmt"
	"io"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// Errors of this package.
var (
	// ErrEmptyObject is an envelope that carries no object.
	ErrEmptyObject = errors.New("object envelope carries no kind")
	// ErrKindMismatch is an object given to a table of another kind.
	ErrKindMismatch = errors.New("object is not of the table's kind")
)

// TablePrinter prints one kind's table a few rows at a time, for
// `get -w`: the header goes out once, with the first rows, and every call
// writes at once so a watcher sees each event as it comes. It is not safe
// for concurrent use: one goroutine prints a watch.
type TablePrinter struct {
	out    aligner
	kind   string
	opts   Options
	cols   columns
	header []string
	nameAt int // index of the NAME cell, -1 when the table has none
	withNS bool
	begun  bool
}

// NewTablePrinter returns a printer of kind's table (a kind name such as
// "Pod") to w.
func NewTablePrinter(w io.Writer, kind string, opts Options) *TablePrinter {
	p := &TablePrinter{
		out:  aligner{w: w},
		kind: kind, opts: opts, cols: tableOf(kind),
	}
	p.header = p.cols.header(kind, opts.Wide)
	p.nameAt = -1
	for i, h := range p.header {
		if h == "NAME" {
			p.nameAt = i
		}
	}
	info, ok := apimeta.Lookup(kind)
	p.withNS = opts.WithNamespace && (!ok || info.Namespaced)
	return p
}

// PrintRow prints one object's row, after the header the first time.
func (p *TablePrinter) PrintRow(o *gantryv1.Object) error {
	return p.PrintRows([]*gantryv1.Object{o})
}

// PrintRows prints the rows of objs in one write, after the header the
// first time; the columns fit all of them. No objects print nothing, not
// even the header: kubectl shows one only with rows.
func (p *TablePrinter) PrintRows(objs []*gantryv1.Object) error {
	if len(objs) == 0 {
		return nil
	}
	rows := make([][]string, 0, len(objs)+1)
	if !p.begun && !p.opts.NoHeaders {
		h := p.header
		if p.withNS {
			h = append([]string{"NAMESPACE"}, h...)
		}
		rows = append(rows, h)
	}
	now := p.opts.now()
	for _, o := range objs {
		kind := apimeta.KindOf(o)
		if kind == "" {
			return fmt.Errorf("printing %s table: %w", p.kind, ErrEmptyObject)
		}
		if kind != p.kind {
			return fmt.Errorf("printing %s table: %s/%s: %w", p.kind, kind, apimeta.Meta(o).GetName(), ErrKindMismatch)
		}
		cells := p.cols.row(o, now, p.opts.Wide)
		if p.opts.WithKind && p.nameAt >= 0 {
			cells[p.nameAt] = ResourceName(kind) + "/" + cells[p.nameAt]
		}
		if p.withNS {
			cells = append([]string{apimeta.Meta(o).GetNamespace()}, cells...)
		}
		rows = append(rows, cleanCells(cells))
	}
	p.begun = true
	return p.out.write(rows)
}

// cleanCells keeps each cell on one line: up to its first line break
// (followed by "..."), as kubectl does, with tabs as spaces.
func cleanCells(cells []string) []string {
	for i, c := range cells {
		if j := strings.IndexAny(c, "\n\r\f\v"); j >= 0 {
			c = c[:j] + "..."
		}
		cells[i] = strings.ReplaceAll(c, "\t", " ")
	}
	return cells
}

// PrintTable prints objs, all of kind, as kubectl's table for that kind.
// An empty kind takes the kind of the first object. No objects print
// nothing.
func PrintTable(w io.Writer, kind string, objs []*gantryv1.Object, opts Options) error {
	if len(objs) == 0 {
		return nil
	}
	if kind == "" {
		kind = apimeta.KindOf(objs[0])
	}
	return NewTablePrinter(w, kind, opts).PrintRows(objs)
}
