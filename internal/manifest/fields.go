package manifest

import (
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// walker fills a protobuf message from a node, checking every field against
// the message's descriptor so that problems name their exact path.
type walker struct {
	d      *decoder
	object string // "Deployment web", for messages
}

func (w *walker) fail(line int, path string, kind error, format string, args ...any) error {
	return &Error{Source: w.d.src, Line: line, Doc: w.d.doc, Object: w.object, Path: path,
		Err: newProblem(kind, format, args...)}
}

// lenient reports what strict mode refuses and lenient mode lets pass.
func (w *walker) lenient(line int, path string, kind error, warning string) error {
	if w.d.opts.Strict {
		return w.fail(line, path, kind, "%s", kind.Error())
	}
	w.d.warnings = append(w.d.warnings, Warning{Source: w.d.src, Line: line, Doc: w.d.doc,
		Object: w.object, Path: path, Message: warning})
	return nil
}

// duplicates maps each key written more than once to its last position.
func duplicates(entries []entry) map[string]int {
	var last map[string]int
	seen := make(map[string]int, len(entries))
	for i, e := range entries {
		if _, ok := seen[e.key]; ok {
			if last == nil {
				last = map[string]int{}
			}
			last[e.key] = i
		}
		seen[e.key] = i
	}
	return last
}

// skipDuplicate reports (in strict mode, fails on) a key written twice, and
// says whether entry i is to be skipped: of duplicates, the last one counts.
func (w *walker) skipDuplicate(entries []entry, i int, dups map[string]int, seen map[string]bool, path string) (bool, error) {
	e := entries[i]
	last, dup := dups[e.key]
	if !dup {
		return false, nil
	}
	if seen[e.key] {
		if err := w.lenient(e.line, path, ErrDuplicateField, "duplicate field; the last value is used"); err != nil {
			return true, err
		}
	}
	seen[e.key] = true
	return last != i, nil
}

func (w *walker) message(n *node, m protoreflect.Message, path string) error {
	if n.kind == kindNull {
		return nil
	}
	if n.kind != kindMap {
		return w.fail(n.line, path, ErrInvalid, "expected an object, got %s", n.describe())
	}
	fields := m.Descriptor().Fields()
	dups := duplicates(n.entries)
	seen := map[string]bool{}
	for i, e := range n.entries {
		p := keyPath(path, e.key)
		fd := fields.ByJSONName(e.key)
		if fd == nil {
			if err := w.lenient(e.line, p, ErrUnknownField, "unknown field, ignored"); err != nil {
				return err
			}
			continue
		}
		if skip, err := w.skipDuplicate(n.entries, i, dups, seen, p); skip || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		if err := w.field(e.val, m, fd, p); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) field(n *node, m protoreflect.Message, fd protoreflect.FieldDescriptor, path string) error {
	if n.kind == kindNull {
		return nil // null leaves a field unset, as in Kubernetes
	}
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		if set := m.WhichOneof(od); set != nil && set != fd {
			return w.fail(n.line, path, ErrInvalid, "%s is already set; only one may be", set.JSONName())
		}
	}
	switch {
	case fd.IsList():
		if n.kind != kindList {
			return w.fail(n.line, path, ErrInvalid, "expected a list, got %s", n.describe())
		}
		return w.list(n, m.Mutable(fd).List(), fd, path)
	case fd.IsMap():
		if n.kind != kindMap {
			return w.fail(n.line, path, ErrInvalid, "expected an object, got %s", n.describe())
		}
		return w.mapField(n, m.Mutable(fd).Map(), fd, path)
	case fd.Message() != nil:
		if isWellKnown(fd.Message()) {
			v := m.NewField(fd)
			if err := w.wellKnown(n, v.Message(), path); err != nil {
				return err
			}
			m.Set(fd, v)
			return nil
		}
		if n.kind != kindMap {
			return w.fail(n.line, path, ErrInvalid, "expected an object, got %s", n.describe())
		}
		return w.message(n, m.Mutable(fd).Message(), path)
	default:
		v, err := w.scalar(n, fd, path)
		if err != nil {
			return err
		}
		m.Set(fd, v)
		return nil
	}
}

func (w *walker) list(n *node, l protoreflect.List, fd protoreflect.FieldDescriptor, path string) error {
	for i, item := range n.items {
		p := indexPath(path, i)
		if item.kind == kindNull {
			return w.fail(item.line, p, ErrInvalid, "null is not allowed in a list")
		}
		switch {
		case fd.Message() != nil && isWellKnown(fd.Message()):
			v := l.NewElement()
			if err := w.wellKnown(item, v.Message(), p); err != nil {
				return err
			}
			l.Append(v)
		case fd.Message() != nil:
			v := l.NewElement()
			if err := w.message(item, v.Message(), p); err != nil {
				return err
			}
			l.Append(v)
		default:
			v, err := w.scalar(item, fd, p)
			if err != nil {
				return err
			}
			l.Append(v)
		}
	}
	return nil
}

func (w *walker) mapField(n *node, mp protoreflect.Map, fd protoreflect.FieldDescriptor, path string) error {
	quantity := quantityMaps[fd.FullName()]
	vfd := fd.MapValue()
	dups := duplicates(n.entries)
	seen := map[string]bool{}
	for i, e := range n.entries {
		p := keyPath(path, e.key)
		if skip, err := w.skipDuplicate(n.entries, i, dups, seen, p); skip || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		if fd.MapKey().Kind() != protoreflect.StringKind {
			return w.fail(e.line, p, ErrInvalid, "unsupported map key type %s", fd.MapKey().Kind())
		}
		if !utf8.ValidString(e.key) {
			return w.fail(e.line, p, ErrInvalid, "the key is not valid UTF-8")
		}
		key := protoreflect.ValueOfString(e.key).MapKey()
		var v protoreflect.Value
		var err error
		switch {
		case quantity:
			v, err = w.quantity(e.val, p)
		case vfd.Message() != nil && isWellKnown(vfd.Message()):
			v = mp.NewValue()
			err = w.wellKnown(e.val, v.Message(), p)
		case vfd.Message() != nil:
			v = mp.NewValue()
			err = w.message(e.val, v.Message(), p)
		case e.val.kind == kindNull:
			v = vfd.Default() // labels: {app: } means "", as in Kubernetes
		default:
			v, err = w.scalar(e.val, vfd, p)
		}
		if err != nil {
			return err
		}
		mp.Set(key, v)
	}
	return nil
}
