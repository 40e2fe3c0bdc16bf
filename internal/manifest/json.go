package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// looksLikeJSON reports whether the input starts like JSON. Such input is
// read with a JSON parser, which is faster, leaner and gives better messages
// for JSON than a YAML parser.
func looksLikeJSON(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && (data[0] == '{' || data[0] == '[')
}

// jsonConverter reads a stream of JSON values into nodes, recording lines.
type jsonConverter struct {
	dec      *json.Decoder
	data     []byte
	maxDepth int
	maxBytes int64
	start    int64 // offset where the current value began
	// lineOff and line advance together: line is the line of lineOff.
	lineOff int64
	line    int
}

func newJSONConverter(data []byte, opts Options) *jsonConverter {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &jsonConverter{dec: dec, data: data, maxDepth: opts.MaxDepth, maxBytes: opts.MaxDocumentBytes, line: 1}
}

// lineAt returns the line of a byte offset. Offsets only grow while a
// stream is read, so counting from the last one keeps this linear.
func (c *jsonConverter) lineAt(off int64) int {
	off = min(max(off, 0), int64(len(c.data)))
	if off < c.lineOff {
		c.lineOff, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.lineOff:off], []byte{'\n'})
	c.lineOff = off
	return c.line
}

// tokenLine is the line of the token just read.
func (c *jsonConverter) tokenLine() int { return c.lineAt(c.dec.InputOffset() - 1) }

// next returns the next top-level value, or io.EOF.
func (c *jsonConverter) next() (*node, error) {
	c.start = c.dec.InputOffset()
	tok, err := c.dec.Token()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, c.syntax(err)
	}
	return c.value(tok, 1)
}

func (c *jsonConverter) token() (json.Token, error) {
	tok, err := c.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, c.syntax(err)
	}
	return tok, nil
}

func (c *jsonConverter) value(tok json.Token, depth int) (*node, error) {
	line := c.tokenLine()
	if c.dec.InputOffset()-c.start > c.maxBytes {
		return nil, &lineError{line: line, err: newProblem(ErrLimit,
			"the JSON value is over the limit of %s per document", byteSize(c.maxBytes))}
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth > c.maxDepth {
			return nil, &lineError{line: line, err: newProblem(ErrLimit, "values nest deeper than %d levels (the limit)", c.maxDepth)}
		}
		if t == '{' {
			return c.object(line, depth)
		}
		return c.array(line, depth)
	case string:
		return &node{kind: kindString, line: line, text: t}, nil
	case json.Number:
		return &node{kind: kindNumber, line: line, text: string(t)}, nil
	case bool:
		n := &node{kind: kindBool, line: line, text: "false"}
		if t {
			n.text = "true"
		}
		return n, nil
	default:
		return &node{kind: kindNull, line: line}, nil
	}
}

func (c *jsonConverter) object(line, depth int) (*node, error) {
	n := &node{kind: kindMap, line: line}
	for c.dec.More() {
		kt, err := c.token()
		if err != nil {
			return nil, err
		}
		key, _ := kt.(string)
		kline := c.tokenLine()
		vt, err := c.token()
		if err != nil {
			return nil, err
		}
		v, err := c.value(vt, depth+1)
		if err != nil {
			return nil, err
		}
		n.entries = append(n.entries, entry{key: key, line: kline, val: v})
	}
	if _, err := c.token(); err != nil { // the closing brace
		return nil, err
	}
	return n, nil
}

func (c *jsonConverter) array(line, depth int) (*node, error) {
	n := &node{kind: kindList, line: line}
	for c.dec.More() {
		t, err := c.token()
		if err != nil {
			return nil, err
		}
		v, err := c.value(t, depth+1)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
	}
	if _, err := c.token(); err != nil { // the closing bracket
		return nil, err
	}
	return n, nil
}

func (c *jsonConverter) syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset is sometimes that of the offending byte, sometimes just
		// past it; only a newline tells the two apart by a line.
		off := se.Offset
		if off > 0 && off <= int64(len(c.data)) && !isSpace(c.data[off-1]) {
			off--
		}
		return &lineError{line: c.lineAt(off), err: newProblem(ErrSyntax, "invalid JSON: %s", se.Error())}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &lineError{line: c.lineAt(int64(len(c.data))), err: newProblem(ErrSyntax, "invalid JSON: unexpected end of input")}
	default:
		return &lineError{line: c.lineAt(c.dec.InputOffset()), err: newProblem(ErrSyntax, "invalid JSON: %s", err.Error())}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }
