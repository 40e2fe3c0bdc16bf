package apimeta

import (
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Inner returns the kind's message inside the envelope (a *gantryv1.Pod,
// ...), or nil when the envelope is empty.
func Inner(o *gantryv1.Object) proto.Message {
	i := InfoOf(o)
	if i == nil {
		return nil
	}
	return o.ProtoReflect().Get(i.Field).Message().Interface()
}

// Wrap puts a kind's message into an envelope. It returns nil when m is not
// one of the kinds.
func Wrap(m proto.Message) *gantryv1.Object {
	if m == nil {
		return nil
	}
	name := string(m.ProtoReflect().Descriptor().Name())
	i, ok := byName[name]
	if !ok || m.ProtoReflect().Descriptor() != i.Field.Message() {
		return nil
	}
	o := &gantryv1.Object{}
	o.ProtoReflect().Set(i.Field, protoreflect.ValueOfMessage(m.ProtoReflect()))
	return o
}

// Meta returns the object's metadata, or nil when it has none. The result
// aliases the object: callers that change it must own the object.
func Meta(o *gantryv1.Object) *gantryv1.ObjectMeta {
	inner := Inner(o)
	if inner == nil {
		return nil
	}
	r := inner.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("metadata")
	if !r.Has(fd) {
		return nil
	}
	return r.Get(fd).Message().Interface().(*gantryv1.ObjectMeta)
}

// EnsureMeta returns the object's metadata, creating it when missing.
func EnsureMeta(o *gantryv1.Object) *gantryv1.ObjectMeta {
	inner := Inner(o)
	if inner == nil {
		return nil
	}
	r := inner.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("metadata")
	return r.Mutable(fd).Message().Interface().(*gantryv1.ObjectMeta)
}

// Spec returns the object's spec message, or nil for kinds without one.
func Spec(o *gantryv1.Object) proto.Message { return field(o, "spec") }

// Status returns the object's status message, or nil for kinds without one.
func Status(o *gantryv1.Object) proto.Message { return field(o, "status") }

func field(o *gantryv1.Object, name protoreflect.Name) proto.Message {
	inner := Inner(o)
	if inner == nil {
		return nil
	}
	r := inner.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(name)
	if fd == nil || !r.Has(fd) {
		return nil
	}
	return r.Get(fd).Message().Interface()
}

// SetStatus replaces the object's status with a copy of the status of src
// (both of the same kind). It does nothing for kinds without status.
func SetStatus(dst, src *gantryv1.Object) {
	copyField(dst, src, "status")
}

// copyField sets dst's field name to src's value (shared, not cloned);
// src and dst must be of the same kind.
func copyField(dst, src *gantryv1.Object, name protoreflect.Name) {
	di, si := Inner(dst), Inner(src)
	if di == nil || si == nil {
		return
	}
	dr, sr := di.ProtoReflect(), si.ProtoReflect()
	fd := dr.Descriptor().Fields().ByName(name)
	if fd == nil || dr.Descriptor() != sr.Descriptor() {
		return
	}
	if sr.Has(fd) {
		dr.Set(fd, sr.Get(fd))
	} else {
		dr.Clear(fd)
	}
}

// SetBody makes dst's content (everything but metadata and status) equal
// to src's, sharing values. Both must be of the same kind.
func SetBody(dst, src *gantryv1.Object) {
	di, si := Inner(dst), Inner(src)
	if di == nil || si == nil {
		return
	}
	dr, sr := di.ProtoReflect(), si.ProtoReflect()
	if dr.Descriptor() != sr.Descriptor() {
		return
	}
	fields := dr.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Name() == "metadata" || fd.Name() == "status" {
			continue
		}
		if sr.Has(fd) {
			dr.Set(fd, sr.Get(fd))
		} else {
			dr.Clear(fd)
		}
	}
}

// BodyEqual reports whether a and b (of the same kind) have equal content
// apart from metadata and status: for kinds with a spec, whether the specs
// are equal. Generation bumps when this turns false.
func BodyEqual(a, b *gantryv1.Object) bool {
	ai, bi := Inner(a), Inner(b)
	if ai == nil || bi == nil {
		return ai == nil && bi == nil
	}
	ar, br := ai.ProtoReflect(), bi.ProtoReflect()
	if ar.Descriptor() != br.Descriptor() {
		return false
	}
	fields := ar.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Name() == "metadata" || fd.Name() == "status" {
			continue
		}
		if ar.Has(fd) != br.Has(fd) {
			return false
		}
		if ar.Has(fd) && !valueEqual(ar.Type(), fd, ar.Get(fd), br.Get(fd)) {
			return false
		}
	}
	return true
}

func valueEqual(t protoreflect.MessageType, fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	if !fd.IsList() && !fd.IsMap() && fd.Message() == nil {
		return a.Equal(b)
	}
	// Put each value alone into a fresh message of the parent type so that
	// proto.Equal compares lists, maps and messages with its own rules.
	ma, mb := t.New(), t.New()
	ma.Set(fd, a)
	mb.Set(fd, b)
	return proto.Equal(ma.Interface(), mb.Interface())
}

// Key is the store key of a namespaced or cluster-scoped object.
func Key(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// ParseResourceVersion turns a resource_version string into its number;
// "" is 0.
func ParseResourceVersion(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// FormatResourceVersion is the inverse of ParseResourceVersion.
func FormatResourceVersion(v uint64) string {
	return strconv.FormatUint(v, 10)
}
