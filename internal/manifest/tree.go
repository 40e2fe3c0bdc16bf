package manifest

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// valueKind is the JSON type of a node.
type valueKind uint8

const (
	kindNull valueKind = iota
	kindBool
	kindNumber
	kindString
	kindMap
	kindList
)

func (k valueKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindMap:
		return "an object"
	default:
		return "a list"
	}
}

// node is one parsed value, the same whether it came from YAML or JSON, with
// the line it starts on so that problems found later can point at it.
type node struct {
	kind valueKind
	line int
	// text is a scalar's value. Numbers keep their literal when it is a
	// valid decimal number (so that a quantity keeps its precision);
	// booleans are "true" or "false".
	text string
	// plain marks an unquoted YAML scalar: only those may spell booleans
	// the YAML 1.1 way (yes, on), as Kubernetes' YAML parser reads them.
	plain bool
	// entries of a map, in document order; duplicates are kept so that the
	// walker can report them.
	entries []entry
	// items of a list.
	items []*node
}

type entry struct {
	key  string
	line int
	val  *node
}

// lookup returns the last entry named key and how many there are.
func (n *node) lookup(key string) (e entry, count int) {
	for _, x := range n.entries {
		if x.key == key {
			e = x
			count++
		}
	}
	return e, count
}

// describe says what a value is, for messages: `a number (1.5)`.
func (n *node) describe() string {
	switch n.kind {
	case kindNumber, kindBool:
		return n.kind.String() + " (" + n.text + ")"
	case kindString:
		return n.kind.String() + " (" + strconv.Quote(truncate(n.text, 40)) + ")"
	default:
		return n.kind.String()
	}
}

// appendJSON writes n as JSON, for the protobuf well-known types that
// protojson knows how to read.
func appendJSON(b []byte, n *node) []byte {
	switch n.kind {
	case kindNull:
		return append(b, "null"...)
	case kindBool:
		return append(b, n.text...)
	case kindNumber:
		if json.Valid([]byte(n.text)) {
			return append(b, n.text...)
		}
		if f, err := strconv.ParseFloat(n.text, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return strconv.AppendFloat(b, f, 'g', -1, 64)
		}
		return strconv.AppendQuote(b, n.text)
	case kindString:
		s, _ := json.Marshal(n.text)
		return append(b, s...)
	case kindList:
		b = append(b, '[')
		for i, it := range n.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, it)
		}
		return append(b, ']')
	default:
		b = append(b, '{')
		for i, e := range n.entries {
			if i > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(e.key)
			b = append(b, k...)
			b = append(b, ':')
			b = appendJSON(b, e.val)
		}
		return append(b, '}')
	}
}

// fieldPath joins a field name onto a path.
func fieldPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// keyPath joins a map key onto a path: labels.app, or
// labels["app.kubernetes.io/name"] when the key is not a plain word.
func keyPath(path, key string) string {
	if isWord(key) {
		return fieldPath(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case (r >= '0' && r <= '9') || r == '-':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// truncate shortens s for a message, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
