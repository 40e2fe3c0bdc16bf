package admission

import (
	"errors"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Sentinel errors. The API edge maps ErrInvalid to INVALID_ARGUMENT and
// ErrImmutable to FAILED_PRECONDITION.
var (
	// ErrInvalid: the object breaks a validation rule.
	ErrInvalid = errors.New("invalid object")
	// ErrImmutable: an update changes a field that may not change.
	ErrImmutable = errors.New("immutable field changed")
)

// fieldError carries the violations of one call. Its message is the
// field.ErrorList aggregate, so it names every field path and rule.
type fieldError struct {
	kind error
	errs field.ErrorList
}

func (e *fieldError) Error() string { return e.errs.ToAggregate().Error() }
func (e *fieldError) Unwrap() error { return e.kind }

// toError turns a list into an error wrapping kind, or nil when empty.
func toError(kind error, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return &fieldError{kind: kind, errs: errs}
}

// FieldErrors returns the individual violations behind an error returned
// by this package, or nil for any other error.
func FieldErrors(err error) field.ErrorList {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.errs
	}
	return nil
}
