package manifest

import (
	"regexp"
	"strconv"
	"strings"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the messages of go-yaml's parser (as opposed to its
// scanner). For those it reports the 0-based line, for scanner errors the
// 1-based one.
var yamlParserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// yamlSyntax turns a go-yaml error into a message and a line of the whole
// input. go-yaml counts lines from the start of the chunk it was given, and
// often names the line where the enclosing mapping starts rather than the
// line at fault (or no line at all), so for documents of reasonable size
// the line is found again by parsing ever longer prefixes of the chunk.
func yamlSyntax(err error, c chunk) (int, string) {
	line, msg := yamlErrorLine(err, c.line)
	if len(c.data) <= maxRefinedChunk {
		if l, ok := firstFailingLine(c.data, msg); ok {
			line = c.line + l - 1
		}
	}
	return line, msg
}

// maxRefinedChunk bounds the documents whose error line is searched for:
// the search parses about log2(lines) prefixes.
const maxRefinedChunk = 128 << 10

// yamlErrorLine takes go-yaml's line from its message.
func yamlErrorLine(err error, chunkLine int) (int, string) {
	s := err.Error()
	m := yamlLine.FindStringSubmatch(s)
	if m == nil {
		return chunkLine, strings.TrimPrefix(s, "yaml: ")
	}
	n, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		return chunkLine, m[2]
	}
	if yamlParserProblems[m[2]] {
		n++
	}
	return chunkLine + n - 1, m[2]
}

// firstFailingLine returns the 1-based number of the first line by which a
// prefix of data fails to parse with msg: where the problem becomes certain.
// Cutting a document short makes it fail only in ways of its own
// (unexpected end of stream), so the search treats "fails with msg" as
// monotonic in the prefix length.
func firstFailingLine(data []byte, msg string) (int, bool) {
	var ends []int // ends[i] is the end of line i+1
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(lines int) bool {
		_, err := parseYAML(data[:ends[lines-1]])
		if err == nil {
			return false
		}
		_, m := yamlErrorLine(err, 1)
		return m == msg
	}
	if !fails(len(ends)) {
		return 0, false
	}
	lo, hi := 1, len(ends) // fails(hi) holds
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi, true
}
