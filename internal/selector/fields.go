package selector

import (
	"fmt"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/selection"
)

// FieldSelector is a parsed field selector compiled for one kind. The zero
// value is empty and matches every object. It is immutable, so one value
// may be shared by many goroutines.
type FieldSelector struct {
	kind string
	reqs []fieldReq
	text string
}

// fieldReq is one term: the field's accessor, the wanted value, and
// whether the term is a != rather than an =.
type fieldReq struct {
	field  string
	get    getter
	value  string
	negate bool
}

// ParseFields parses a field selector ("spec.nodeName=n1,status.phase!=Failed")
// for objects of kind. Operators are =, == and !=. A field the kind does not
// support is an error that lists the supported ones.
func ParseFields(kind, s string) (FieldSelector, error) {
	table := fieldTable(kind)
	if table == nil {
		return FieldSelector{}, fmt.Errorf("%w: field selector for unknown kind %q", ErrInvalidSelector, kind)
	}
	parsed, err := fields.ParseSelector(s)
	if err != nil {
		return FieldSelector{}, fmt.Errorf("%w: field selector %q: %v", ErrInvalidSelector, s, err)
	}
	reqs := parsed.Requirements()
	if len(reqs) == 0 {
		return FieldSelector{}, nil
	}
	out := FieldSelector{kind: kind, reqs: make([]fieldReq, 0, len(reqs)), text: parsed.String()}
	for _, r := range reqs {
		get := table.lookup(r.Field)
		if get == nil {
			return FieldSelector{}, fmt.Errorf("%w: field selector %q: field %q is not supported for %s (supported: %s)",
				ErrInvalidSelector, s, r.Field, kind, strings.Join(table.names(), ", "))
		}
		out.reqs = append(out.reqs, fieldReq{
			field: r.Field, get: get, value: r.Value, negate: r.Operator == selection.NotEquals,
		})
	}
	return out, nil
}

// Matches reports whether o satisfies every term. An empty selector matches
// everything; a non-empty one never matches an object of another kind.
func (s FieldSelector) Matches(o *gantryv1.Object) bool {
	if len(s.reqs) == 0 {
		return true
	}
	if kindOf(o) != s.kind {
		return false
	}
	for i := range s.reqs {
		r := &s.reqs[i]
		if (r.get(o) == r.value) == r.negate {
			return false
		}
	}
	return true
}

// Empty reports whether the selector has no terms.
func (s FieldSelector) Empty() bool { return len(s.reqs) == 0 }

// RequiresExact returns the value field must equal for any object to
// match, when the selector has an = term on it. The server uses it to pick
// an index (pods by spec.nodeName, objects by metadata.name).
func (s FieldSelector) RequiresExact(field string) (value string, ok bool) {
	for _, r := range s.reqs {
		if r.field == field && !r.negate {
			return r.value, true
		}
	}
	return "", false
}

// String returns the selector in canonical form (terms sorted, values
// escaped); it parses back to an equal selector.
func (s FieldSelector) String() string { return s.text }

// Kind returns the kind the selector was compiled for, or "" when empty.
func (s FieldSelector) Kind() string { return s.kind }

func kindOf(o *gantryv1.Object) string {
	k, _ := unwrap(o)
	return k
}
