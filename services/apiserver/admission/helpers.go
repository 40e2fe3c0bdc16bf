package admission

import (
	"cmp"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// invalid turns the messages of an apimachinery Is* check into errors on
// one field; an empty msgs gives an empty list.
func invalid(p *field.Path, value any, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, m := range msgs {
		errs = append(errs, field.Invalid(p, value, m))
	}
	return errs
}

// notSupported reports value unless it is one of allowed. Empty values
// pass: they are fields Default fills.
func notSupported(p *field.Path, value string, allowed ...string) field.ErrorList {
	if value == "" || slices.Contains(allowed, value) {
		return nil
	}
	return field.ErrorList{field.NotSupported(p, value, allowed)}
}

// nonNegative is apimachinery's ValidateNonnegativeField for the int32
// fields of our protos.
func nonNegative[T int32 | int64](p *field.Path, v T) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(p, int64(v), isNegativeErrorMsg)}
	}
	return nil
}

// isNegativeErrorMsg is apivalidation.IsNegativeErrorMsg, repeated so the
// int32 helper reads the same as the int64 one.
const isNegativeErrorMsg = `must be greater than or equal to 0`

// sortedKeys iterates maps in a fixed order so that error messages are
// stable from one call to the next.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	return keys
}

// parseIntOrString reads our string-typed int-or-string fields ("8080",
// "http", "25%") the way Kubernetes' JSON decoder would type them. Numbers
// that overflow int32 stay strings so they fail as names, not wrap around.
func parseIntOrString(s string) intstr.IntOrString {
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return intstr.FromInt32(int32(n))
	}
	return intstr.FromString(s)
}

func itoa32(n int32) string { return strconv.FormatInt(int64(n), 10) }
