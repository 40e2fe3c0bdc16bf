package ctrltest

import (
	"fmt"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
)

// Cache is a fake informer cache of one kind.
type Cache struct {
	mu       sync.RWMutex
	items    map[string]*gantryv1.Object
	indexers map[string]informer.IndexFunc
	handlers []informer.Handler
}

func newCache() *Cache {
	return &Cache{items: map[string]*gantryv1.Object{}, indexers: map[string]informer.IndexFunc{}}
}

// Get returns the cached object.
func (c *Cache) Get(namespace, name string) (*gantryv1.Object, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.items[apimeta.Key(namespace, name)]
	return o, ok
}

// List returns every cached object.
func (c *Cache) List() []*gantryv1.Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*gantryv1.Object, 0, len(c.items))
	for _, o := range c.items {
		out = append(out, o)
	}
	return out
}

// ListByIndex scans the cache with the index function.
func (c *Cache) ListByIndex(index, value string) ([]*gantryv1.Object, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn, ok := c.indexers[index]
	if !ok {
		return nil, fmt.Errorf("%w: %q", informer.ErrNoIndex, index)
	}
	var out []*gantryv1.Object
	for _, o := range c.items {
		for _, v := range fn(o) {
			if v == value {
				out = append(out, o)
				break
			}
		}
	}
	return out, nil
}

// AddIndex registers an index function.
func (c *Cache) AddIndex(name string, fn informer.IndexFunc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.indexers[name]; ok {
		return fmt.Errorf("%w: %q", informer.ErrIndexExists, name)
	}
	c.indexers[name] = fn
	return nil
}

// AddEventHandler registers h.
func (c *Cache) AddEventHandler(h informer.Handler) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers = append(c.handlers, h)
	return nil
}

// HasSynced is always true.
func (c *Cache) HasSynced() bool { return true }

// apply puts obj (nil: removes key) and calls the handlers.
func (c *Cache) apply(key string, obj *gantryv1.Object) {
	c.mu.Lock()
	old := c.items[key]
	if obj == nil {
		delete(c.items, key)
	} else {
		c.items[key] = obj
	}
	hs := append([]informer.Handler(nil), c.handlers...)
	c.mu.Unlock()
	for _, h := range hs {
		switch {
		case old == nil && obj != nil:
			if h.OnAdd != nil {
				h.OnAdd(obj)
			}
		case old != nil && obj == nil:
			if h.OnDelete != nil {
				h.OnDelete(old)
			}
		case old != nil:
			if h.OnUpdate != nil {
				h.OnUpdate(old, obj)
			}
		}
	}
}
