package ctrl

import (
	"errors"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/informer"
)

// Cache is a controller's view of one kind: the informer's store plus the
// hooks to follow it. Objects are shared: never modify them (clone first).
type Cache interface {
	Get(namespace, name string) (*gantryv1.Object, bool)
	List() []*gantryv1.Object
	ListByIndex(index, value string) ([]*gantryv1.Object, error)
	AddIndex(name string, fn informer.IndexFunc) error
	AddEventHandler(h informer.Handler) error
	HasSynced() bool
}

// InformerCache adapts an informer to Cache.
type InformerCache struct{ *informer.Informer }

// Get returns the cached object.
func (c InformerCache) Get(namespace, name string) (*gantryv1.Object, bool) {
	return c.Store().Get(namespace, name)
}

// List returns every cached object.
func (c InformerCache) List() []*gantryv1.Object { return c.Store().List() }

// ListByIndex returns the objects with index value.
func (c InformerCache) ListByIndex(index, value string) ([]*gantryv1.Object, error) {
	return c.Store().ListByIndex(index, value)
}

// Well-known indexes, shared by controllers that use the same cache.
const (
	// IndexControllerUID maps the uid of an object's controller (its
	// owner reference with controller: true) to the object.
	IndexControllerUID = "controller-uid"
	// IndexOrphans maps the namespace of objects without a controller to
	// them: the candidates for adoption.
	IndexOrphans = "orphans"
	// IndexOwnerUID maps every owner's uid to its dependents.
	IndexOwnerUID = "owner-uid"
)

var wellKnown = map[string]informer.IndexFunc{
	IndexControllerUID: func(o *gantryv1.Object) []string {
		if ref := ControllerRef(Meta(o)); ref != nil {
			return []string{ref.GetUid()}
		}
		return nil
	},
	IndexOrphans: func(o *gantryv1.Object) []string {
		if ControllerRef(Meta(o)) == nil {
			return []string{Meta(o).GetNamespace()}
		}
		return nil
	},
	IndexOwnerUID: func(o *gantryv1.Object) []string {
		refs := Meta(o).GetOwnerReferences()
		out := make([]string, 0, len(refs))
		for _, r := range refs {
			out = append(out, r.GetUid())
		}
		return out
	},
	informer.NamespaceIndex: informer.IndexByNamespace,
}

// ErrUnknownIndex is returned by EnsureIndexes for a name without a
// well-known function.
var ErrUnknownIndex = errors.New("ctrl: unknown index")

// EnsureIndexes adds the named well-known indexes to c unless another
// controller already did.
func EnsureIndexes(c Cache, names ...string) error {
	for _, n := range names {
		fn, ok := wellKnown[n]
		if !ok {
			return ErrUnknownIndex
		}
		if err := c.AddIndex(n, fn); err != nil && !errors.Is(err, informer.ErrIndexExists) {
			return err
		}
	}
	return nil
}

// MustList returns ListByIndex's objects, or nil when the index is
// missing (a programming error EnsureIndexes prevents).
func MustList(c Cache, index, value string) []*gantryv1.Object {
	objs, _ := c.ListByIndex(index, value)
	return objs
}
