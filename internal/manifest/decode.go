package manifest

import (
	"bytes"
	"errors"
	"unicode/utf8"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Decoded is one object read from a manifest, with where it came from.
type Decoded struct {
	Object *gantryv1.Object
	// Source names the input, as Decode was given it or as ReadPaths
	// found it ("<stdin>" for standard input).
	Source string
	// Doc is the 1-based number of the document among the source's
	// non-empty documents; the items of a List share their document's.
	Doc int
	// Line is the 1-based line where the object starts in the source.
	Line int
}

// Decode decodes the Kubernetes manifests in data: YAML documents separated
// by "---" lines, or JSON values; each an object or a List of objects.
// source names the input in errors and warnings. Empty documents are
// skipped. Either every object is returned or, on the first problem, none:
// the error is an *Error saying where the problem is.
func Decode(source string, data []byte, opts Options) ([]Decoded, []Warning, error) {
	d := newDecoder(opts)
	if int64(len(data)) > d.opts.MaxBytes {
		return nil, nil, &Error{Source: source, Err: newProblem(ErrLimit, "the input is %s, over the limit of %s",
			byteSize(int64(len(data))), byteSize(d.opts.MaxBytes))}
	}
	if err := d.input(source, data); err != nil {
		return nil, nil, err
	}
	return d.out, d.warnings, nil
}

// decoder holds what one call has decoded so far, across its inputs.
type decoder struct {
	opts      Options
	out       []Decoded
	warnings  []Warning
	documents int // counted toward MaxDocuments

	// The input being decoded, and its current document.
	src string
	doc int
}

func newDecoder(opts Options) *decoder {
	return &decoder{opts: opts.withDefaults()}
}

var utf8BOM = []byte("\xef\xbb\xbf")

func (d *decoder) input(source string, data []byte) error {
	d.src, d.doc = source, 0
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		return &Error{Source: source, Line: lineOfInvalidUTF8(data), Err: newProblem(ErrSyntax, "the input is not valid UTF-8")}
	}
	if !looksLikeJSON(data) {
		return d.yaml(data)
	}
	// JSON is YAML too: a "JSON" input that the JSON parser refuses may be
	// YAML in flow style ({kind: Pod, ...}) or JSON followed by "---".
	out, warnings, documents := len(d.out), len(d.warnings), d.documents
	jsonErr := d.json(data)
	if jsonErr == nil || !errors.Is(jsonErr, ErrSyntax) {
		return jsonErr
	}
	d.out, d.warnings, d.documents, d.doc = d.out[:out], d.warnings[:warnings], documents, 0
	yamlErr := d.yaml(data)
	if yamlErr != nil && errors.Is(yamlErr, ErrSyntax) {
		d.out, d.warnings, d.documents, d.doc = d.out[:out], d.warnings[:warnings], documents, 0
		return jsonErr // it looked like JSON; say what is wrong with it as JSON
	}
	return yamlErr
}

func (d *decoder) yaml(data []byte) error {
	chunks := newChunker(data)
	for {
		c, ok := chunks.next()
		if !ok {
			return nil
		}
		if blank(c.data) {
			continue
		}
		if int64(len(c.data)) > d.opts.MaxDocumentBytes {
			return d.fail(&lineError{line: c.contentLine(), err: newProblem(ErrLimit, "the document is %s, over the limit of %s per document",
				byteSize(int64(len(c.data))), byteSize(d.opts.MaxDocumentBytes))})
		}
		docs, parseErr := parseYAML(c.data)
		for _, doc := range docs {
			if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
				continue // an empty document
			}
			root := doc.Content[0]
			if err := d.count(root.Line + c.line - 1); err != nil {
				return err
			}
			tree, err := newYAMLConverter(c.line, d.opts).root(root)
			if err != nil {
				return d.fail(err)
			}
			d.doc++
			if err := d.document(tree); err != nil {
				return err
			}
		}
		if parseErr != nil {
			line, msg := yamlSyntax(parseErr, c)
			return d.fail(&lineError{line: line, err: newProblem(ErrSyntax, "invalid YAML: %s", msg)})
		}
	}
}

func (d *decoder) json(data []byte) error {
	values := newJSONConverter(data, d.opts)
	for {
		tree, err := values.next()
		if err != nil {
			var le *lineError
			if !errors.As(err, &le) {
				return nil // io.EOF: the end of the input
			}
			return d.fail(err)
		}
		if tree.kind == kindNull {
			continue
		}
		if err := d.count(tree.line); err != nil {
			return err
		}
		d.doc++
		if err := d.document(tree); err != nil {
			return err
		}
	}
}

// count counts one more document or List item toward MaxDocuments.
func (d *decoder) count(line int) error {
	d.documents++
	if d.documents > d.opts.MaxDocuments {
		return &Error{Source: d.src, Line: line, Err: newProblem(ErrLimit, "more than %d documents (the limit)", d.opts.MaxDocuments)}
	}
	return nil
}

// fail places a problem found while parsing the next document.
func (d *decoder) fail(err error) error {
	e := &Error{Source: d.src, Doc: d.doc + 1, Err: err}
	var le *lineError
	if errors.As(err, &le) {
		e.Line, e.Err = le.line, le.err
	}
	return e
}

func lineOfInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return 1 + bytes.Count(data[:i], []byte{'\n'})
		}
		i += size
	}
	return 0
}
