package applymerge

import (
	"bytes"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// LastAppliedAnnotation holds the manifest as last applied.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// WithLastApplied returns a copy of the manifest object carrying itself (its
// kind's JSON, without the annotation) in LastAppliedAnnotation.
func WithLastApplied(obj *gantryv1.Object) (*gantryv1.Object, error) {
	out := proto.Clone(obj).(*gantryv1.Object)
	asStored(out)
	m := apimeta.EnsureMeta(out)
	delete(m.Annotations, LastAppliedAnnotation)
	b, err := innerJSON(out)
	if err != nil {
		return nil, err
	}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[LastAppliedAnnotation] = string(b)
	return out, nil
}

// asStored rewrites what the server would rewrite on every write, so that
// the manifest compares equal to the object it stored: a Secret's
// stringData is folded into data (stringData wins, as on the server).
// Without this a Secret with stringData would be "configured" by every
// apply, and a key dropped from stringData would never leave data.
func asStored(o *gantryv1.Object) {
	s := o.GetSecret()
	if s == nil || len(s.GetStringData()) == 0 {
		return
	}
	if s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

// Merge returns live updated with what desired (from WithLastApplied)
// changed since the last apply, and whether that differs from live. The
// result keeps live's resource_version, so the update fails with ABORTED
// if the object changed since it was read.
func Merge(live, desired *gantryv1.Object) (*gantryv1.Object, bool, error) {
	if apimeta.KindOf(live) != apimeta.KindOf(desired) {
		return nil, false, fmt.Errorf("kind %s cannot be applied over %s", apimeta.KindOf(desired), apimeta.KindOf(live))
	}
	current, err := innerJSON(live)
	if err != nil {
		return nil, false, err
	}
	modified, err := innerJSON(desired)
	if err != nil {
		return nil, false, err
	}
	var original []byte
	if s := apimeta.Meta(live).GetAnnotations()[LastAppliedAnnotation]; s != "" {
		original = []byte(s)
	}
	patched, err := mergeJSON(original, modified, current)
	if err != nil {
		return nil, false, err
	}
	merged := proto.Clone(live).(*gantryv1.Object)
	inner := apimeta.Inner(merged)
	proto.Reset(inner)
	if err := protojson.Unmarshal(patched, inner); err != nil {
		return nil, false, fmt.Errorf("apply the change: %w", err)
	}
	// Status is the server's; an update carries the live one unchanged.
	apimeta.SetStatus(merged, live)
	return merged, !proto.Equal(merged, live), nil
}

// innerJSON is the kind's message as compact JSON, with Kubernetes names.
func innerJSON(o *gantryv1.Object) ([]byte, error) {
	inner := apimeta.Inner(o)
	if inner == nil {
		return nil, fmt.Errorf("empty object")
	}
	b, err := protojson.Marshal(inner)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", apimeta.KindOf(o), err)
	}
	// protojson varies its whitespace on purpose; the annotation should not.
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mergeJSON(original, modified, current []byte) ([]byte, error) {
	var o, m, c any
	if len(original) > 0 {
		// A hand-edited, unreadable annotation counts as never applied.
		if err := json.Unmarshal(original, &o); err != nil {
			o = nil
		}
	}
	if err := json.Unmarshal(modified, &m); err != nil {
		return nil, fmt.Errorf("decode the manifest: %w", err)
	}
	if err := json.Unmarshal(current, &c); err != nil {
		return nil, fmt.Errorf("decode the live object: %w", err)
	}
	b, err := json.Marshal(threeWay(o, m, c))
	if err != nil {
		return nil, fmt.Errorf("encode the merged object: %w", err)
	}
	return b, nil
}
