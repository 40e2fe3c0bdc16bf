package manifest

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/api/resource"
)

func (w *walker) scalar(n *node, fd protoreflect.FieldDescriptor, path string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if intOrStringFields[fd.FullName()] {
			return w.intOrString(n, path)
		}
		if n.kind != kindString {
			if n.kind == kindNumber || n.kind == kindBool {
				return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid,
					"expected a string, got %s; quote it to make it a string", n.describe())
			}
			return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "expected a string, got %s", n.describe())
		}
		if !utf8.ValidString(n.text) {
			return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "the string is not valid UTF-8")
		}
		return protoreflect.ValueOfString(n.text), nil
	case protoreflect.BoolKind:
		if n.kind == kindBool {
			return protoreflect.ValueOfBool(n.text == "true"), nil
		}
		if b, ok := yaml11Bools[n.text]; ok && n.kind == kindString && n.plain {
			return protoreflect.ValueOfBool(b), nil
		}
		return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "expected true or false, got %s", n.describe())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		i, err := w.integer(n, path, 32)
		return protoreflect.ValueOfInt32(int32(i)), err
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		i, err := w.integer(n, path, 64)
		return protoreflect.ValueOfInt64(i), err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		u, err := w.unsigned(n, path, 32)
		return protoreflect.ValueOfUint32(uint32(u)), err
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		u, err := w.unsigned(n, path, 64)
		return protoreflect.ValueOfUint64(u), err
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f, err := w.float(n, path)
		if fd.Kind() == protoreflect.FloatKind {
			return protoreflect.ValueOfFloat32(float32(f)), err
		}
		return protoreflect.ValueOfFloat64(f), err
	case protoreflect.BytesKind:
		return w.bytes(n, fd, path)
	case protoreflect.EnumKind:
		return w.enum(n, fd, path)
	default:
		return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "unsupported field type %s", fd.Kind())
	}
}

// numberText returns the text of a number, or of a string, which protojson
// also accepts for numbers (it writes 64-bit integers as strings).
func numberText(n *node) (string, bool) {
	return n.text, n.kind == kindNumber || n.kind == kindString
}

func (w *walker) integer(n *node, path string, bits int) (int64, error) {
	text, ok := numberText(n)
	if !ok {
		return 0, w.fail(n.line, path, ErrInvalid, "expected an integer, got %s", n.describe())
	}
	i, err := parseInteger(text, bits)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, w.fail(n.line, path, ErrInvalid, "%s is out of range for a %d-bit integer", text, bits)
	case err != nil:
		return 0, w.fail(n.line, path, ErrInvalid, "expected an integer, got %s", n.describe())
	}
	return i, nil
}

func (w *walker) unsigned(n *node, path string, bits int) (uint64, error) {
	text, ok := numberText(n)
	if !ok {
		return 0, w.fail(n.line, path, ErrInvalid, "expected an unsigned integer, got %s", n.describe())
	}
	u, err := strconv.ParseUint(text, 10, bits)
	if err == nil {
		return u, nil
	}
	f, ferr := strconv.ParseFloat(text, 64)
	switch {
	case ferr == nil && f == math.Trunc(f) && f >= 0 && f < math.Ldexp(1, bits):
		return uint64(f), nil
	case ferr == nil && f == math.Trunc(f), errors.Is(err, strconv.ErrRange):
		return 0, w.fail(n.line, path, ErrInvalid, "%s is out of range for an unsigned %d-bit integer", text, bits)
	}
	return 0, w.fail(n.line, path, ErrInvalid, "expected an unsigned integer, got %s", n.describe())
}

// parseInteger parses a signed integer of the given size, written in decimal
// or, as JSON allows, as an integral number such as 1e3 or 80.0. Its error
// is strconv.ErrRange for integers that do not fit.
func parseInteger(text string, bits int) (int64, error) {
	i, err := strconv.ParseInt(text, 10, bits)
	if err == nil {
		return i, nil
	}
	lim := math.Ldexp(1, bits-1)
	f, ferr := strconv.ParseFloat(text, 64)
	switch {
	case ferr == nil && f == math.Trunc(f) && f >= -lim && f < lim:
		return int64(f), nil
	case ferr == nil && f == math.Trunc(f), errors.Is(err, strconv.ErrRange):
		return 0, strconv.ErrRange
	}
	return 0, strconv.ErrSyntax
}

func (w *walker) float(n *node, path string) (float64, error) {
	text, ok := numberText(n)
	if ok {
		switch text {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f, nil
		}
	}
	return 0, w.fail(n.line, path, ErrInvalid, "expected a number, got %s", n.describe())
}

func (w *walker) bytes(n *node, fd protoreflect.FieldDescriptor, path string) (protoreflect.Value, error) {
	hint := ""
	if fd.Parent() != nil && fd.Parent().FullName() == "gantry.v1.Secret.DataEntry" {
		hint = "; Secret data is base64, plain text goes under stringData"
	}
	if n.kind != kindString {
		return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "expected a base64 string, got %s%s", n.describe(), hint)
	}
	// YAML's !!binary and folded scalars may break base64 over lines.
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, n.text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return protoreflect.ValueOfBytes(b), nil
		}
	}
	return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "not valid base64%s", hint)
}

func (w *walker) enum(n *node, fd protoreflect.FieldDescriptor, path string) (protoreflect.Value, error) {
	if n.kind == kindString {
		if v := fd.Enum().Values().ByName(protoreflect.Name(n.text)); v != nil {
			return protoreflect.ValueOfEnum(v.Number()), nil
		}
	}
	if n.kind == kindNumber {
		if i, err := strconv.ParseInt(n.text, 10, 32); err == nil {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(i)), nil
		}
	}
	return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "expected one of the values of %s, got %s", fd.Enum().Name(), n.describe())
}

// intOrString reads a Kubernetes IntOrString: an int32, kept as its decimal
// string, or a string such as "25%" or "http".
func (w *walker) intOrString(n *node, path string) (protoreflect.Value, error) {
	switch n.kind {
	case kindNumber:
		i, err := parseInteger(n.text, 32)
		if err != nil {
			return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid,
				"expected a 32-bit integer or a string such as \"25%%\" or a port name, got %s", n.describe())
		}
		return protoreflect.ValueOfString(strconv.FormatInt(i, 10)), nil
	case kindString:
		if !utf8.ValidString(n.text) {
			return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "the string is not valid UTF-8")
		}
		return protoreflect.ValueOfString(n.text), nil
	default:
		return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid,
			"expected an integer or a string such as \"25%%\" or a port name, got %s", n.describe())
	}
}

// quantity reads a Kubernetes quantity. A number becomes its canonical
// string, as the Kubernetes apiserver stores it (0.5 is "500m"); a string
// is checked and kept as written.
func (w *walker) quantity(n *node, path string) (protoreflect.Value, error) {
	if n.kind != kindNumber && n.kind != kindString {
		return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "expected a quantity such as 500m or 64Mi, got %s", n.describe())
	}
	if err := checkQuantitySize(n.text); err != nil {
		return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "invalid quantity %q: %w", truncate(n.text, 40), err)
	}
	q, err := resource.ParseQuantity(n.text)
	if err != nil {
		return protoreflect.Value{}, w.fail(n.line, path, ErrInvalid, "invalid quantity %q: %w", n.text, err)
	}
	if n.kind == kindNumber {
		return protoreflect.ValueOfString(q.String()), nil
	}
	return protoreflect.ValueOfString(n.text), nil
}

func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.FullName().Parent() == "google.protobuf"
}

// wellKnown reads the protobuf well-known types, which have JSON forms of
// their own. Timestamp, the one Gantry's objects use, gets a clear message.
func (w *walker) wellKnown(n *node, m protoreflect.Message, path string) error {
	if m.Descriptor().FullName() == "google.protobuf.Timestamp" {
		if n.kind != kindString {
			return w.fail(n.line, path, ErrInvalid, "expected a time such as \"2006-01-02T15:04:05Z\", got %s", n.describe())
		}
		t, err := time.Parse(time.RFC3339Nano, n.text)
		ts := timestamppb.New(t)
		if err != nil || ts.CheckValid() != nil {
			return w.fail(n.line, path, ErrInvalid, "expected an RFC 3339 time such as \"2006-01-02T15:04:05Z\", got %s", n.describe())
		}
		m.Set(m.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(ts.Seconds))
		m.Set(m.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(ts.Nanos))
		return nil
	}
	if err := protojson.Unmarshal(appendJSON(nil, n), m.Interface()); err != nil {
		return w.fail(n.line, path, ErrInvalid, "not a valid %s", m.Descriptor().Name())
	}
	return nil
}
