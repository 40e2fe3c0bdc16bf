// Package admission owns the defaulting and validation the API server leader
// runs on an object before it proposes a write: Default fills Kubernetes'
// defaults in place; Validate, ValidateUpdate and ValidateStatus enforce
// Kubernetes' rules and report every violation with its field path in
// Kubernetes' JSON names (spec.template.spec.containers[0].name).
//
// The rules are composed from k8s.io/apimachinery's validation helpers, so
// names, labels, annotations, selectors, quantities and ports are judged
// exactly as Kubernetes judges them. Nothing here reads the store: rules
// that need other objects (quota, references) belong to the caller.
//
// Validate expects Default to have run, but it accepts empty values for
// fields that have defaults, so it is also safe to call on its own.
package admission
