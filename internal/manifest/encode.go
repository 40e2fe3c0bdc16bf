package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"sigs.k8s.io/yaml"
)

// Output formats of Encode and EncodeList.
const (
	FormatYAML = "yaml"
	FormatJSON = "json"
)

// Encode writes an object as Kubernetes writes it: apiVersion, kind,
// metadata, spec and status, with the Kubernetes field names and spellings
// (64-bit integers and integer IntOrStrings as numbers). format is
// FormatYAML or FormatJSON. Decode reads the result back to an equal
// object (with KeepStatus, status included).
func Encode(obj *gantryv1.Object, format string) ([]byte, error) {
	v, err := kubeValue(obj)
	if err != nil {
		return nil, err
	}
	return render(v, format)
}

// EncodeList writes objects as one Kubernetes List, as
// `kubectl get -o yaml` does for several objects.
func EncodeList(objs []*gantryv1.Object, format string) ([]byte, error) {
	items := make([]any, 0, len(objs))
	for _, obj := range objs {
		v, err := kubeValue(obj)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	return render(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, format)
}

func kubeValue(obj *gantryv1.Object) (map[string]any, error) {
	info := apimeta.InfoOf(obj)
	if info == nil {
		return nil, errors.New("manifest: cannot encode an empty object")
	}
	inner := apimeta.Inner(obj)
	b, err := protojson.MarshalOptions{}.Marshal(inner)
	if err != nil {
		return nil, fmt.Errorf("manifest: encoding %s: %w", info.Name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("manifest: encoding %s: %w", info.Name, err)
	}
	kubeShape(v, inner.ProtoReflect().Descriptor())
	v["apiVersion"] = info.APIVersion
	v["kind"] = info.Name
	return v, nil
}

// kubeShape rewrites, in place, what the protobuf JSON mapping writes
// differently from Kubernetes: 64-bit integers are strings there, and the
// IntOrString fields Gantry holds as strings are numbers when they hold one.
func kubeShape(v map[string]any, md protoreflect.MessageDescriptor) {
	fields := md.Fields()
	for k, val := range v {
		fd := fields.ByJSONName(k)
		if fd == nil {
			continue
		}
		switch {
		case fd.IsList():
			if l, ok := val.([]any); ok {
				for i := range l {
					l[i] = kubeScalar(l[i], fd)
				}
			}
		case fd.IsMap():
			if m, ok := val.(map[string]any); ok {
				for mk := range m {
					m[mk] = kubeScalar(m[mk], fd.MapValue())
				}
			}
		default:
			v[k] = kubeScalar(val, fd)
		}
	}
}

func kubeScalar(val any, fd protoreflect.FieldDescriptor) any {
	if md := fd.Message(); md != nil {
		if m, ok := val.(map[string]any); ok && !isWellKnown(md) {
			kubeShape(m, md)
		}
		return val
	}
	s, ok := val.(string)
	if !ok {
		return val
	}
	switch fd.Kind() {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return json.Number(s)
	case protoreflect.StringKind:
		if intOrStringFields[fd.FullName()] && canonicalInt32(s) {
			return json.Number(s)
		}
	}
	return val
}

func render(v any, format string) ([]byte, error) {
	if format != FormatYAML && format != FormatJSON {
		return nil, fmt.Errorf("manifest: unknown output format %q (want %s or %s)", format, FormatYAML, FormatJSON)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if format == FormatJSON {
		enc.SetIndent("", "    ") // as kubectl writes JSON
	}
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("manifest: encoding: %w", err)
	}
	if format == FormatJSON {
		return buf.Bytes(), nil
	}
	out, err := yaml.JSONToYAML(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("manifest: encoding YAML: %w", err)
	}
	return out, nil
}
