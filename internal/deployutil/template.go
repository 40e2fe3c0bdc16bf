package deployutil

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
)

// WithoutHash returns a copy of tmpl without the pod-template-hash label
// (nil for nil).
func WithoutHash(tmpl *gantryv1.PodTemplateSpec) *gantryv1.PodTemplateSpec {
	c := proto.Clone(tmpl).(*gantryv1.PodTemplateSpec)
	if c == nil {
		return nil
	}
	if c.Metadata != nil && c.Metadata.Labels != nil {
		delete(c.Metadata.Labels, PodTemplateHashLabel)
	}
	return c
}

// EqualIgnoreHash reports whether two templates are equal apart from the
// pod-template-hash label: the hash may differ between versions, and it
// must never make a template look new.
func EqualIgnoreHash(a, b *gantryv1.PodTemplateSpec) bool {
	return proto.Equal(WithoutHash(a), WithoutHash(b))
}
