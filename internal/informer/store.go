package informer

import (
	"fmt"
	"sort"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// IndexFunc returns the index values of an object (none to leave it out).
type IndexFunc func(obj *gantryv1.Object) []string

// NamespaceIndex is the name under which IndexByNamespace is commonly added.
const NamespaceIndex = "namespace"

// IndexByNamespace indexes objects by their namespace.
func IndexByNamespace(obj *gantryv1.Object) []string {
	return []string{apimeta.Meta(obj).GetNamespace()}
}

type item struct {
	obj *gantryv1.Object
	rv  uint64
}

// Store is the informer's thread-safe cache, keyed by namespace/name.
// Returned objects are shared: do not modify them.
type Store struct {
	mu       sync.RWMutex
	items    map[string]item
	indexers map[string]IndexFunc
	// indices maps index name -> value -> set of keys.
	indices map[string]map[string]map[string]struct{}
}

func newStore() *Store {
	return &Store{items: map[string]item{}, indexers: map[string]IndexFunc{},
		indices: map[string]map[string]map[string]struct{}{}}
}

// Get returns the cached object namespace/name.
func (s *Store) Get(namespace, name string) (*gantryv1.Object, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	it, ok := s.items[apimeta.Key(namespace, name)]
	return it.obj, ok
}

// List returns every cached object, in no particular order.
func (s *Store) List() []*gantryv1.Object {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*gantryv1.Object, 0, len(s.items))
	for _, it := range s.items {
		out = append(out, it.obj)
	}
	return out
}

// Len returns the number of cached objects.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.items)
}

// ListByIndex returns the objects whose index name has value, in no
// particular order.
func (s *Store) ListByIndex(name, value string) ([]*gantryv1.Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, ok := s.indices[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoIndex, name)
	}
	keys := idx[value]
	out := make([]*gantryv1.Object, 0, len(keys))
	for k := range keys {
		out = append(out, s.items[k].obj)
	}
	return out, nil
}

// AddIndex adds an index, computed at once over what is cached. Adding
// indexes before Run is cheapest.
func (s *Store) AddIndex(name string, fn IndexFunc) error {
	if fn == nil {
		return fmt.Errorf("%w: nil IndexFunc for %q", ErrConfig, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.indexers[name]; ok {
		return fmt.Errorf("%w: %q", ErrIndexExists, name)
	}
	s.indexers[name] = fn
	s.indices[name] = map[string]map[string]struct{}{}
	for k, it := range s.items {
		s.indexLocked(name, fn, k, nil, it.obj)
	}
	return nil
}

// indexLocked moves key from old's index values to obj's (either nil).
func (s *Store) indexLocked(name string, fn IndexFunc, key string, old, obj *gantryv1.Object) {
	idx := s.indices[name]
	if old != nil {
		for _, v := range fn(old) {
			if set := idx[v]; set != nil {
				delete(set, key)
				if len(set) == 0 {
					delete(idx, v)
				}
			}
		}
	}
	if obj != nil {
		for _, v := range fn(obj) {
			set := idx[v]
			if set == nil {
				set = map[string]struct{}{}
				idx[v] = set
			}
			set[key] = struct{}{}
		}
	}
}

func (s *Store) setLocked(key string, old, obj *gantryv1.Object, rv uint64) {
	if obj == nil {
		delete(s.items, key)
	} else {
		s.items[key] = item{obj: obj, rv: rv}
	}
	for name, fn := range s.indexers {
		s.indexLocked(name, fn, key, old, obj)
	}
}

// upsert caches obj at rv unless the cache holds the same or a newer
// version; it returns the previous object and whether it changed anything.
func (s *Store) upsert(key string, obj *gantryv1.Object, rv uint64) (*gantryv1.Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.items[key]
	if ok && old.rv >= rv {
		return nil, false
	}
	s.setLocked(key, old.obj, obj, rv)
	return old.obj, true
}

// remove drops key for a delete at rv unless the cache holds a version at
// least as new (the delete is a replay); it returns the removed object.
func (s *Store) remove(key string, rv uint64) (*gantryv1.Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.items[key]
	if !ok || old.rv >= rv {
		return nil, false
	}
	s.setLocked(key, old.obj, nil, 0)
	return old.obj, true
}

// change is one difference found by replace.
type change struct {
	old, new *gantryv1.Object
}

// replace makes the cache hold exactly items and returns the differences:
// additions and updates in list order, then deletions by key.
func (s *Store) replace(items []*gantryv1.Object) []change {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[string]struct{}, len(items))
	var changes []change
	for _, obj := range items {
		m := apimeta.Meta(obj)
		key := apimeta.Key(m.GetNamespace(), m.GetName())
		rv, _ := apimeta.ParseResourceVersion(m.GetResourceVersion())
		seen[key] = struct{}{}
		old, ok := s.items[key]
		if ok && old.rv == rv {
			continue
		}
		s.setLocked(key, old.obj, obj, rv)
		changes = append(changes, change{old: old.obj, new: obj})
	}
	var gone []string
	for key := range s.items {
		if _, ok := seen[key]; !ok {
			gone = append(gone, key)
		}
	}
	sort.Strings(gone)
	for _, key := range gone {
		old := s.items[key].obj
		s.setLocked(key, old, nil, 0)
		changes = append(changes, change{old: old})
	}
	return changes
}
