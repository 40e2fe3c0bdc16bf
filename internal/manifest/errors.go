package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is on what Decode and ReadPaths return.
var (
	// ErrSyntax: the input is not valid YAML or JSON.
	ErrSyntax = errors.New("syntax error")
	// ErrLimit: the input exceeds one of the limits of Options.
	ErrLimit = errors.New("limit exceeded")
	// ErrKind: a document's kind or apiVersion is missing or unknown.
	ErrKind = errors.New("bad kind or apiVersion")
	// ErrUnknownField: a document has a field Gantry does not know.
	ErrUnknownField = errors.New("unknown field")
	// ErrDuplicateField: a document sets a field twice.
	ErrDuplicateField = errors.New("duplicate field")
	// ErrInvalid: a value has the wrong type or form for its field.
	ErrInvalid = errors.New("invalid value")
)

// Error is a problem with an input, located as precisely as it is known.
type Error struct {
	// Source names the input: a file name, or "<stdin>".
	Source string
	// Line is the 1-based line in the source, 0 when unknown.
	Line int
	// Doc is the 1-based number of the document among the non-empty
	// documents of the source, 0 when the problem is not in one.
	Doc int
	// Object names the object when known, such as "Deployment prod/web".
	Object string
	// Path is the field path, such as "spec.replicas" or
	// "items[2].metadata.name"; empty for the document as a whole.
	Path string
	// Err says what is wrong; it matches one of the sentinels above.
	Err error
}

func (e *Error) Error() string {
	return locate(e.Source, e.Line, e.Doc, e.Object, e.Path) + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Warning is a problem Decode got past: in lenient mode, an unknown field
// that was dropped or a duplicate field of which the last value was kept.
type Warning struct {
	Source  string
	Line    int
	Doc     int
	Object  string
	Path    string
	Message string
}

func (w Warning) String() string {
	return locate(w.Source, w.Line, w.Doc, w.Object, w.Path) + w.Message
}

// locate formats "web.yaml:12: document 2 (Deployment web): spec.replicas: ".
func locate(source string, line, doc int, object, path string) string {
	var b strings.Builder
	if source == "" {
		source = "<input>"
	}
	b.WriteString(source)
	if line > 0 {
		fmt.Fprintf(&b, ":%d", line)
	}
	b.WriteString(": ")
	if doc > 0 {
		fmt.Fprintf(&b, "document %d", doc)
		if object != "" {
			fmt.Fprintf(&b, " (%s)", object)
		}
		b.WriteString(": ")
	}
	if path != "" {
		b.WriteString(path)
		b.WriteString(": ")
	}
	return b.String()
}

// problem is an error message that matches a sentinel without repeating
// the sentinel's text, and optionally wraps its cause.
type problem struct {
	kind  error
	cause error
	msg   string
}

func (p *problem) Error() string { return p.msg }

func (p *problem) Unwrap() []error {
	if p.cause == nil {
		return []error{p.kind}
	}
	return []error{p.kind, p.cause}
}

// newProblem formats a message; a %w verb in format names the cause.
func newProblem(kind error, format string, args ...any) error {
	wrapped := fmt.Errorf(format, args...)
	return &problem{kind: kind, cause: errors.Unwrap(wrapped), msg: wrapped.Error()}
}
