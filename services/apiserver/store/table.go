package store

import (
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/google/btree"
)

// record is one stored object with its key ("namespace/name" or "name").
type record struct {
	key string
	obj *gantryv1.Object
}

func lessRecord(a, b record) bool { return a.key < b.key }

// table holds the objects of one kind, ordered by key so that lists are
// stable and paginate by key. Clone is O(1) copy-on-write.
type table struct {
	t *btree.BTreeG[record]
	// onChange, when set, keeps an index over the table in step with it:
	// it sees every put and remove, with the object before (nil: none)
	// and after (nil: removed). Clones do not carry it: they are frozen.
	onChange func(key string, old, cur *gantryv1.Object)
}

func newTable() *table { return &table{t: btree.NewG(32, lessRecord)} }

func (t *table) get(key string) (*gantryv1.Object, bool) {
	r, ok := t.t.Get(record{key: key})
	return r.obj, ok
}

func (t *table) put(key string, o *gantryv1.Object) {
	old, _ := t.t.ReplaceOrInsert(record{key: key, obj: o})
	if t.onChange != nil {
		t.onChange(key, old.obj, o)
	}
}

func (t *table) remove(key string) {
	old, ok := t.t.Delete(record{key: key})
	if ok && t.onChange != nil {
		t.onChange(key, old.obj, nil)
	}
}

func (t *table) len() int { return t.t.Len() }

func (t *table) clone() *table { return &table{t: t.t.Clone()} }

// scan calls fn for each record whose key starts with prefix and sorts
// after "after", in key order, until fn returns false.
func (t *table) scan(prefix, after string, fn func(record) bool) {
	start := prefix
	if after > start {
		start = after + "\x00"
	}
	t.t.AscendGreaterOrEqual(record{key: start}, func(r record) bool {
		if !strings.HasPrefix(r.key, prefix) {
			return false
		}
		return fn(r)
	})
}
