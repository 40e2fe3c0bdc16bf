// Package selector owns the parsing and matching of label and field
// selectors for List and Watch, with Kubernetes semantics: label selectors
// come from k8s.io/apimachinery/pkg/labels, field selectors are parsed by
// k8s.io/apimachinery/pkg/fields and then compiled, per kind, into direct
// accessors on the protobuf objects so that matching on the watch hot path
// neither allocates nor builds a field map per object.
package selector
