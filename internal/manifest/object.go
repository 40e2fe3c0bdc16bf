package manifest

import (
	"strconv"
	"strings"
	"unicode"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

// document decodes one non-empty document: an object, or a List of them.
func (d *decoder) document(root *node) error {
	w := &walker{d: d}
	if root.kind != kindMap {
		return w.fail(root.line, "", ErrKind, "the document is %s, not an object with apiVersion and kind", root.describe())
	}
	if kind, _ := stringEntry(root, "kind"); isListKind(kind) {
		return d.list(root, kind)
	}
	obj, err := d.object(root, "", nil)
	if err != nil {
		return err
	}
	d.out = append(d.out, Decoded{Object: obj, Source: d.src, Doc: d.doc, Line: root.line})
	return nil
}

// isListKind reports whether kind is "List" or the list of a known kind,
// such as "DeploymentList", as `kubectl get -o yaml` writes them.
func isListKind(kind string) bool {
	if kind == "List" {
		return true
	}
	base, ok := strings.CutSuffix(kind, "List")
	if !ok {
		return false
	}
	_, known := apimeta.Lookup(base)
	return known
}

func (d *decoder) list(root *node, kind string) error {
	w := &walker{d: d, object: kind}
	var itemKind *apimeta.Info
	version := "v1"
	if kind != "List" {
		itemKind, _ = apimeta.Lookup(strings.TrimSuffix(kind, "List"))
		version = itemKind.APIVersion
	}
	if err := w.checkAPIVersion(root, "", kind, version); err != nil {
		return err
	}
	var items *node
	dups := duplicates(root.entries)
	seen := map[string]bool{}
	for i, e := range root.entries {
		if e.key == "apiVersion" {
			continue // checked above
		}
		if skip, err := w.skipDuplicate(root.entries, i, dups, seen, keyPath("", e.key)); skip || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		switch e.key {
		case "apiVersion", "kind", "metadata":
			// A List's metadata (a resourceVersion) means nothing to apply.
		case "items":
			items = e.val
		default:
			if err := w.lenient(e.line, keyPath("", e.key), ErrUnknownField, "unknown field, ignored"); err != nil {
				return err
			}
		}
	}
	if items == nil || items.kind == kindNull {
		return nil
	}
	if items.kind != kindList {
		return w.fail(items.line, "items", ErrInvalid, "expected a list, got %s", items.describe())
	}
	for i, item := range items.items {
		path := indexPath("items", i)
		if err := d.count(item.line); err != nil {
			return err
		}
		if item.kind != kindMap {
			return w.fail(item.line, path, ErrInvalid, "expected an object, got %s", item.describe())
		}
		if k, _ := stringEntry(item, "kind"); isListKind(k) {
			return w.fail(item.line, path, ErrKind, "a %s inside a %s is not supported", k, kind)
		}
		obj, err := d.object(item, path, itemKind)
		if err != nil {
			return err
		}
		d.out = append(d.out, Decoded{Object: obj, Source: d.src, Doc: d.doc, Line: item.line})
	}
	return nil
}

// object decodes one object at path ("" for a document, "items[3]" in a
// List). implied is the kind a typed List such as DeploymentList implies
// for items that do not say theirs.
func (d *decoder) object(n *node, path string, implied *apimeta.Info) (*gantryv1.Object, error) {
	w := &walker{d: d}
	info, err := w.kindOf(n, path, implied)
	if err != nil {
		return nil, err
	}
	w.object = objectName(info.Name, n)
	if _, count := n.lookup("apiVersion"); count > 0 || implied == nil {
		if err := w.checkAPIVersion(n, path, info.Name, info.APIVersion); err != nil {
			return nil, err
		}
	}
	obj := &gantryv1.Object{}
	inner := obj.ProtoReflect().Mutable(info.Field).Message()
	body := &node{kind: kindMap, line: n.line}
	for _, e := range n.entries {
		switch {
		case e.key == "apiVersion" || e.key == "kind":
			continue // checked above
		case e.key == "status" && info.HasStatus && !d.opts.KeepStatus:
			continue // see the package comment
		}
		body.entries = append(body.entries, e)
	}
	if err := w.message(body, inner, path); err != nil {
		return nil, err
	}
	if size := proto.Size(obj); int64(size) > d.opts.MaxObjectBytes {
		return nil, w.fail(n.line, path, ErrLimit, "the object is %s encoded, over the limit of %s per object",
			byteSize(int64(size)), byteSize(d.opts.MaxObjectBytes))
	}
	return obj, nil
}

func (w *walker) kindOf(n *node, path string, implied *apimeta.Info) (*apimeta.Info, error) {
	e, count := n.lookup("kind")
	if count > 1 {
		if err := w.lenient(e.line, fieldPath(path, "kind"), ErrDuplicateField, "duplicate field; the last value is used"); err != nil {
			return nil, err
		}
	}
	if count == 0 {
		if implied != nil {
			return implied, nil
		}
		return nil, w.fail(n.line, path, ErrKind, "missing kind; Gantry knows %s", strings.Join(apimeta.Kinds(), ", "))
	}
	if e.val.kind != kindString {
		return nil, w.fail(e.line, fieldPath(path, "kind"), ErrKind, "expected a string, got %s", e.val.describe())
	}
	info, ok := apimeta.Lookup(e.val.text)
	if !ok {
		for _, k := range apimeta.Kinds() {
			if strings.EqualFold(k, e.val.text) {
				return nil, w.fail(e.line, fieldPath(path, "kind"), ErrKind, "unknown kind %q; did you mean %s?", e.val.text, k)
			}
		}
		return nil, w.fail(e.line, fieldPath(path, "kind"), ErrKind, "unknown kind %q; Gantry knows %s",
			e.val.text, strings.Join(apimeta.Kinds(), ", "))
	}
	return info, nil
}

func (w *walker) checkAPIVersion(n *node, path, kind, want string) error {
	e, count := n.lookup("apiVersion")
	p := fieldPath(path, "apiVersion")
	if count > 1 {
		if err := w.lenient(e.line, p, ErrDuplicateField, "duplicate field; the last value is used"); err != nil {
			return err
		}
	}
	switch {
	case count == 0:
		return w.fail(n.line, path, ErrKind, "missing apiVersion (%s is %s)", kind, want)
	case e.val.kind != kindString:
		return w.fail(e.line, p, ErrKind, "expected a string, got %s", e.val.describe())
	case e.val.text != want:
		return w.fail(e.line, p, ErrKind, "%s is %s, not %q", kind, want, e.val.text)
	}
	return nil
}

// stringEntry returns the string value of a map's key, if it has one.
func stringEntry(n *node, key string) (string, bool) {
	if n == nil || n.kind != kindMap {
		return "", false
	}
	e, count := n.lookup(key)
	if count == 0 || e.val.kind != kindString {
		return "", false
	}
	return e.val.text, true
}

// objectName names an object for messages: "Deployment prod/web", or
// "Pod web-*" for a generated name. Its metadata has not been checked yet,
// so it takes what it can.
func objectName(kind string, n *node) string {
	meta, _ := n.lookup("metadata")
	name, ok := stringEntry(meta.val, "name")
	if !ok {
		if gen, ok := stringEntry(meta.val, "generateName"); ok {
			name = gen + "*"
		}
	}
	if name == "" {
		return kind
	}
	if len(name) > 100 {
		name = name[:100] + "..."
	}
	if ns, ok := stringEntry(meta.val, "namespace"); ok && ns != "" {
		name = ns + "/" + name
	}
	if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) {
		name = strconv.Quote(name)
	}
	return kind + " " + name
}
