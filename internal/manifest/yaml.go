package manifest

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// parseYAML parses the documents of one chunk. It returns the documents read
// before an error along with the error.
func parseYAML(data []byte) (docs []*yaml.Node, err error) {
	// The parser is third-party code fed hostile input; a bug in it must
	// be an error for this input, not a crash of the command.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		doc := new(yaml.Node)
		if err := dec.Decode(doc); err != nil {
			if err == io.EOF {
				return docs, nil
			}
			return docs, err
		}
		docs = append(docs, doc)
	}
}

// lineError is a problem found while building a tree, at a line.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }
func (e *lineError) Unwrap() error { return e.err }

// yamlConverter turns go-yaml's nodes into nodes. go-yaml leaves aliases
// unexpanded in its node tree, and expanding them blindly is how a few
// hundred bytes of "billion laughs" become gigabytes. Here an alias shares
// the node its anchor converted to, so converting stays linear in the
// input, and each use of an alias is charged with the size its value
// expands to: the charges bound how much larger than the text the
// document's value is, and so the work of everything that walks it.
type yamlConverter struct {
	lineBase int
	maxDepth int
	// budget is what aliases may still expand to, in bytes of scalars
	// plus one per node.
	budget int64
	limit  int64
	// done holds the conversions of anchored nodes; open the anchored
	// nodes being converted, to refuse an alias to a value containing it.
	done map[*yaml.Node]converted
	open map[*yaml.Node]bool
}

// converted is a converted value with its size and height, aliases expanded.
type converted struct {
	n      *node
	cost   int64
	height int
}

func newYAMLConverter(chunkLine int, opts Options) *yamlConverter {
	return &yamlConverter{
		lineBase: chunkLine - 1,
		maxDepth: opts.MaxDepth,
		budget:   opts.MaxObjectBytes,
		limit:    opts.MaxObjectBytes,
		done:     map[*yaml.Node]converted{},
		open:     map[*yaml.Node]bool{},
	}
}

func (c *yamlConverter) fail(n *yaml.Node, kind error, format string, args ...any) error {
	return &lineError{line: n.Line + c.lineBase, err: newProblem(kind, format, args...)}
}

// addCost adds sizes without overflowing: a bomb's expanded size does not
// fit in an int64.
func addCost(a, b int64) int64 {
	if a > math.MaxInt64/2 || b > math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return a + b
}

// charge accounts for one use of an alias whose value costs cost.
func (c *yamlConverter) charge(at *yaml.Node, cost int64) error {
	c.budget -= min(cost, c.limit+1)
	if c.budget < 0 {
		return c.fail(at, ErrLimit, "YAML aliases expand the document beyond %s (the limit)", byteSize(c.limit))
	}
	return nil
}

// root converts a document's value.
func (c *yamlConverter) root(n *yaml.Node) (*node, error) {
	v, err := c.convert(n, 1)
	return v.n, err
}

func (c *yamlConverter) convert(n *yaml.Node, depth int) (converted, error) {
	if depth > c.maxDepth {
		return converted{}, c.fail(n, ErrLimit, "values nest deeper than %d levels (the limit)", c.maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		return c.alias(n, depth)
	}
	if n.Anchor != "" {
		if v, ok := c.done[n]; ok {
			return v, nil
		}
		c.open[n] = true
		defer delete(c.open, n)
	}
	var v converted
	var err error
	line := n.Line + c.lineBase
	switch n.Kind {
	case yaml.ScalarNode:
		v.n, err = c.scalar(n, line)
		v.cost, v.height = int64(1+len(n.Value)), 1
	case yaml.SequenceNode:
		v, err = c.sequence(n, depth, line)
	case yaml.MappingNode:
		v, err = c.mapping(n, depth, line)
	default:
		err = c.fail(n, ErrSyntax, "unexpected YAML node")
	}
	if err != nil {
		return converted{}, err
	}
	if n.Anchor != "" {
		c.done[n] = v
	}
	return v, nil
}

func (c *yamlConverter) alias(n *yaml.Node, depth int) (converted, error) {
	target := n.Alias
	if target == nil {
		return converted{}, c.fail(n, ErrSyntax, "unknown anchor %q", n.Value)
	}
	if c.open[target] {
		return converted{}, c.fail(n, ErrInvalid, "alias *%s refers to a value that contains it", n.Value)
	}
	v, err := c.convert(target, depth)
	if err != nil {
		return converted{}, err
	}
	if depth+v.height-1 > c.maxDepth {
		return converted{}, c.fail(n, ErrLimit, "values nest deeper than %d levels (the limit)", c.maxDepth)
	}
	if err := c.charge(n, v.cost); err != nil {
		return converted{}, err
	}
	return v, nil
}

func (c *yamlConverter) sequence(n *yaml.Node, depth, line int) (converted, error) {
	out := converted{n: &node{kind: kindList, line: line, items: make([]*node, 0, len(n.Content))}, cost: 1, height: 1}
	for _, item := range n.Content {
		v, err := c.convert(item, depth+1)
		if err != nil {
			return converted{}, err
		}
		out.n.items = append(out.n.items, v.n)
		out.cost = addCost(out.cost, v.cost)
		out.height = max(out.height, 1+v.height)
	}
	return out, nil
}

func (c *yamlConverter) mapping(n *yaml.Node, depth, line int) (converted, error) {
	out := converted{n: &node{kind: kindMap, line: line, entries: make([]entry, 0, len(n.Content)/2)}, cost: 1, height: 1}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return converted{}, err
		}
		v, err := c.convert(val, depth+1)
		if err != nil {
			return converted{}, err
		}
		out.n.entries = append(out.n.entries, entry{key: key, line: k.Line + c.lineBase, val: v.n})
		out.cost = addCost(out.cost, addCost(int64(1+len(key)), v.cost))
		out.height = max(out.height, 1+v.height)
	}
	if len(merges) == 0 {
		return out, nil
	}
	// "<<: *base" merges base's keys, as Kubernetes' YAML parser does:
	// keys written here win, then earlier merged maps over later ones.
	have := make(map[string]bool, len(out.n.entries))
	for _, e := range out.n.entries {
		have[e.key] = true
	}
	for _, m := range merges {
		v, err := c.convert(m, depth)
		if err != nil {
			return converted{}, err
		}
		out.cost = addCost(out.cost, v.cost)
		out.height = max(out.height, v.height)
		sources := []*node{v.n}
		if v.n.kind == kindList {
			sources = v.n.items
		}
		for _, src := range sources {
			if src.kind != kindMap {
				return converted{}, c.fail(m, ErrInvalid, "a merge key (<<) takes a mapping or a list of mappings")
			}
			for _, e := range src.entries {
				if !have[e.key] {
					have[e.key] = true
					out.n.entries = append(out.n.entries, e)
				}
			}
		}
	}
	return out, nil
}

func (c *yamlConverter) key(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode {
		if k.Alias == nil {
			return "", c.fail(k, ErrSyntax, "unknown anchor %q", k.Value)
		}
		if err := c.charge(k, int64(1+len(k.Alias.Value))); err != nil {
			return "", err
		}
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", c.fail(k, ErrInvalid, "a mapping key must be a string, not a list or a mapping")
	}
	return k.Value, nil
}

func (c *yamlConverter) scalar(n *yaml.Node, line int) (*node, error) {
	quoted := yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
	out := &node{kind: kindString, line: line, text: n.Value, plain: n.Style&quoted == 0}
	switch n.ShortTag() {
	case "!!null":
		out.kind, out.text = kindNull, ""
		return out, nil
	case "!!bool", "!!int", "!!float":
	default:
		// Strings, and timestamps and binary, which Kubernetes reads as
		// the strings they are written as.
		return out, nil
	}
	v, err := resolveScalar(n)
	if err != nil {
		return nil, c.fail(n, ErrInvalid, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	switch v := v.(type) {
	case nil:
		out.kind, out.text = kindNull, ""
	case bool:
		out.kind, out.text = kindBool, strconv.FormatBool(v)
	case int:
		out.kind, out.text = kindNumber, strconv.Itoa(v)
	case int64:
		out.kind, out.text = kindNumber, strconv.FormatInt(v, 10)
	case uint64:
		out.kind, out.text = kindNumber, strconv.FormatUint(v, 10)
	case float64:
		out.kind = kindNumber
		// Keep a decimal literal as written: 0.10 must stay exact when
		// it is a quantity.
		if !isDecimal(n.Value) || math.IsInf(v, 0) || math.IsNaN(v) {
			out.text = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return out, nil
}

// resolveScalar gives a scalar's YAML value (an int, a float, ...),
// recovering from the parser as parseYAML does.
func resolveScalar(n *yaml.Node) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the parser failed: %v", r)
		}
	}()
	err = n.Decode(&v)
	return v, err
}

// isDecimal reports whether s is a plain decimal number such as -1.5e3.
func isDecimal(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == 'e' || r == 'E' || r == '+' || r == '-') {
			return false
		}
	}
	return true
}
