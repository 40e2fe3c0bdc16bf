package admission

import (
	"bytes"
	"maps"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const immutableDataMsg = "field is immutable when `immutable` is set"

func validateConfigMapUpdate(n, o *gantryv1.ConfigMap) field.ErrorList {
	if !o.GetImmutable() {
		return nil
	}
	var errs field.ErrorList
	if !n.GetImmutable() {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableDataMsg))
	}
	if !maps.Equal(n.GetData(), o.GetData()) {
		errs = append(errs, field.Forbidden(field.NewPath("data"), immutableDataMsg))
	}
	if !maps.EqualFunc(n.GetBinaryData(), o.GetBinaryData(), bytes.Equal) {
		errs = append(errs, field.Forbidden(field.NewPath("binaryData"), immutableDataMsg))
	}
	return errs
}

func validateSecretUpdate(n, o *gantryv1.Secret) field.ErrorList {
	var errs field.ErrorList
	// Consumers pick their parsing by type, so it never changes.
	if n.GetType() != o.GetType() {
		errs = append(errs, field.Invalid(field.NewPath("type"), n.GetType(), apivalidation.FieldImmutableErrorMsg))
	}
	if !o.GetImmutable() {
		return errs
	}
	if !n.GetImmutable() {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableDataMsg))
	}
	if !maps.EqualFunc(effectiveSecretData(n), effectiveSecretData(o), bytes.Equal) {
		errs = append(errs, field.Forbidden(field.NewPath("data"), immutableDataMsg))
	}
	return errs
}

// effectiveSecretData is data with stringData merged over it, which is
// what Default stores; comparing it lets ValidateUpdate run before or
// after Default with the same verdict.
func effectiveSecretData(s *gantryv1.Secret) map[string][]byte {
	if len(s.GetStringData()) == 0 {
		return s.GetData()
	}
	out := maps.Clone(s.GetData())
	if out == nil {
		out = map[string][]byte{}
	}
	for k, v := range s.GetStringData() {
		out[k] = []byte(v)
	}
	return out
}
