package manifest

import "bytes"

// chunk is the text of one YAML document: from a "---" line (or the start
// of the input) up to the next "---" line.
type chunk struct {
	data []byte
	line int // 1-based line of data[0] in the input
}

// chunker splits YAML input on "---" lines before anything is parsed, as
// kubectl does, so that each document can be size-checked before a parser
// spends memory on it, and so that empty documents cost nothing. YAML
// forbids "---" at the start of a line inside a document's content, so the
// split is exact.
type chunker struct {
	data []byte
	pos  int
	line int
}

func newChunker(data []byte) *chunker { return &chunker{data: data, line: 1} }

func (c *chunker) next() (chunk, bool) {
	if c.pos >= len(c.data) {
		return chunk{}, false
	}
	start, line := c.pos, c.line
	i := c.pos
	for {
		nl := bytes.IndexByte(c.data[i:], '\n')
		if nl < 0 {
			i = len(c.data)
			break
		}
		i += nl + 1
		c.line++
		// Directives (%YAML, %TAG) belong to the document after them.
		if i >= len(c.data) || isSeparator(c.data[i:]) && !directivesOnly(c.data[start:i]) {
			break
		}
	}
	c.pos = i
	return chunk{data: c.data[start:i], line: line}, true
}

// directivesOnly reports whether b holds directives, and comments and blank
// lines, but nothing else.
func directivesOnly(b []byte) bool {
	directives := false
	for len(b) > 0 {
		line := b
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			line, b = b[:nl], b[nl+1:]
		} else {
			b = nil
		}
		switch t := bytes.TrimLeft(line, " \t\r"); {
		case len(t) == 0 || t[0] == '#':
		case line[0] == '%':
			directives = true
		default:
			return false
		}
	}
	return directives
}

// isSeparator reports whether b starts with a "---" document marker line.
func isSeparator(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("---")) {
		return false
	}
	return len(b) == 3 || b[3] == ' ' || b[3] == '\t' || b[3] == '\r' || b[3] == '\n'
}

// contentLine is the line where the chunk's content starts, past a bare
// "---" line, blank lines and comments.
func (c chunk) contentLine() int {
	b, line := c.data, c.line
	if isSeparator(b) {
		b = b[3:]
	}
	for len(b) > 0 {
		end := bytes.IndexByte(b, '\n')
		if end < 0 {
			end = len(b) - 1
		}
		if t := bytes.TrimLeft(b[:end+1], " \t\r\n"); len(t) > 0 && t[0] != '#' {
			return line
		}
		b = b[end+1:]
		line++
	}
	return c.line
}

// blank reports whether a chunk holds nothing but a separator, blank lines
// and comments.
func blank(b []byte) bool {
	if isSeparator(b) {
		b = b[3:]
	}
	for len(b) > 0 {
		line := b
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			line, b = b[:nl], b[nl+1:]
		} else {
			b = nil
		}
		line = bytes.TrimLeft(line, " \t\r")
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}
