package ctrl

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// Meta returns an object's metadata (never nil, for reading).
func Meta(o *gantryv1.Object) *gantryv1.ObjectMeta {
	if m := apimeta.Meta(o); m != nil {
		return m
	}
	return &gantryv1.ObjectMeta{}
}

// Key returns "namespace/name" of an object.
func Key(o *gantryv1.Object) string {
	m := Meta(o)
	return apimeta.Key(m.GetNamespace(), m.GetName())
}

// ControllerRef returns the owner reference with controller: true, or nil.
func ControllerRef(m *gantryv1.ObjectMeta) *gantryv1.OwnerReference {
	for _, r := range m.GetOwnerReferences() {
		if r.GetController() {
			return r
		}
	}
	return nil
}

// IsControlledBy reports whether m's controller is the object with uid.
func IsControlledBy(m *gantryv1.ObjectMeta, uid string) bool {
	ref := ControllerRef(m)
	return ref != nil && ref.GetUid() == uid
}

// NewControllerRef returns the owner reference a controller of kind puts
// on what it creates or adopts.
func NewControllerRef(owner *gantryv1.ObjectMeta, kind string) *gantryv1.OwnerReference {
	apiVersion := "v1"
	if info, ok := apimeta.Lookup(kind); ok {
		apiVersion = info.APIVersion
	}
	t := true
	return &gantryv1.OwnerReference{
		ApiVersion: apiVersion, Kind: kind, Name: owner.GetName(), Uid: owner.GetUid(),
		Controller: &t, BlockOwnerDeletion: &t,
	}
}

// WithoutOwner returns refs without the references to uid.
func WithoutOwner(refs []*gantryv1.OwnerReference, uid string) []*gantryv1.OwnerReference {
	var out []*gantryv1.OwnerReference
	for _, r := range refs {
		if r.GetUid() != uid {
			out = append(out, r)
		}
	}
	return out
}

// HasFinalizer reports whether m carries finalizer f.
func HasFinalizer(m *gantryv1.ObjectMeta, f string) bool {
	for _, x := range m.GetFinalizers() {
		if x == f {
			return true
		}
	}
	return false
}

// WithoutFinalizer returns fs without f.
func WithoutFinalizer(fs []string, f string) []string {
	var out []string
	for _, x := range fs {
		if x != f {
			out = append(out, x)
		}
	}
	return out
}
