package store

import (
	"fmt"
	"sync"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Config sizes the store.
type Config struct {
	// EventLogSize is how many events watches can replay.
	EventLogSize int
}

// DefaultConfig returns the default sizes.
func DefaultConfig() Config { return Config{EventLogSize: 100_000} }

// Store is the replicated state of one master.
type Store struct {
	mu       sync.RWMutex
	tables   map[string]*table
	members  map[string]*storagev1.MemberInfo
	revision uint64
	log      *EventLog
	// svc indexes the cluster IPs and node ports Services hold.
	svc *serviceIndex
}

// New returns an empty store.
func New(cfg Config) *Store {
	s := &Store{log: NewEventLog(cfg.EventLogSize)}
	s.tables, s.members = emptyTables(), map[string]*storagev1.MemberInfo{}
	s.svc = newServiceIndex(s.tables[apimeta.KindService])
	return s
}

func emptyTables() map[string]*table {
	t := make(map[string]*table)
	for _, k := range apimeta.Kinds() {
		t[k] = newTable()
	}
	return t
}

// Events returns the event log that feeds watches.
func (s *Store) Events() *EventLog { return s.log }

// Revision returns the index of the last applied command.
func (s *Store) Revision() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.revision
}

// Result is the outcome of one op.
type Result struct {
	// Object is the stored object after the op (for a delete: its last state).
	Object *gantryv1.Object
	// Err is nil or wraps one of the sentinel errors.
	Err error
}

// Apply applies every op of cmd at Raft index and returns one result per
// op. It is deterministic: the same state and command give the same
// results and events on every master.
func (s *Store) Apply(cmd *storagev1.Command, index uint64) []Result {
	s.mu.Lock()
	tx := &txn{s: s, rev: index}
	results := make([]Result, len(cmd.GetOps()))
	for i, op := range cmd.GetOps() {
		if op.GetRequiresPrevious() && (i == 0 || results[i-1].Err != nil) {
			results[i] = Result{Err: fmt.Errorf("%w: the op this one requires did not apply", ErrConflict)}
			continue
		}
		results[i] = tx.apply(op)
	}
	if index > s.revision {
		s.revision = index
	}
	if n := len(tx.events); n > 0 {
		tx.events[n-1].Last = true
	}
	s.log.append(index, tx.events)
	s.mu.Unlock()
	return results
}

// Get returns the stored object (shared: do not mutate) and the revision.
func (s *Store) Get(kind, namespace, name string) (*gantryv1.Object, uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tables[kind]
	if !ok {
		return nil, s.revision, ErrNotFound
	}
	o, ok := t.get(apimeta.Key(namespace, name))
	if !ok {
		return nil, s.revision, ErrNotFound
	}
	return o, s.revision, nil
}

// ListOptions selects a page of a list.
type ListOptions struct {
	Namespace string
	// After is the key the previous page ended with.
	After string
	// Limit caps the page (0: no cap).
	Limit int
	// Match filters objects (nil: all).
	Match func(*gantryv1.Object) bool
}

// ListResult is one page.
type ListResult struct {
	Items    []*gantryv1.Object
	Revision uint64
	// Next is the key to continue after, or "" when the list is complete.
	Next string
}

// List returns objects of kind in key order, consistent with Revision.
func (s *Store) List(kind string, opts ListOptions) (ListResult, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tables[kind]
	if !ok {
		return ListResult{}, ErrNotFound
	}
	return listTable(t, s.revision, opts), nil
}

// listTable reads one page of t; the caller holds whatever lock t needs.
func listTable(t *table, rev uint64, opts ListOptions) ListResult {
	res := ListResult{Revision: rev}
	prefix := ""
	if opts.Namespace != "" {
		prefix = opts.Namespace + "/"
	}
	lastKey := ""
	t.scan(prefix, opts.After, func(r record) bool {
		if opts.Limit > 0 && len(res.Items) == opts.Limit {
			res.Next = lastKey
			return false
		}
		if opts.Match == nil || opts.Match(r.obj) {
			res.Items = append(res.Items, r.obj)
			lastKey = r.key
		}
		return true
	})
	return res
}

// Members returns the recorded masters, sorted by id.
func (s *Store) Members() []*storagev1.MemberInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedMembers(s.members)
}

// Count returns how many objects of kind are stored.
func (s *Store) Count(kind string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t, ok := s.tables[kind]; ok {
		return t.len()
	}
	return 0
}

// clone returns a shallow copy of an object's envelope and inner message
// sharing every field, so ops can replace metadata or status without
// touching the stored (immutable) original.
func clone(o *gantryv1.Object) *gantryv1.Object {
	src := apimeta.Inner(o).ProtoReflect()
	dst := src.Type().New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		dst.Set(fd, v)
		return true
	})
	return apimeta.Wrap(dst.Interface())
}

// withNewMeta returns a shallow copy of o whose metadata is a deep copy
// that the caller may change.
func withNewMeta(o *gantryv1.Object) (*gantryv1.Object, *gantryv1.ObjectMeta) {
	c := clone(o)
	m := proto.Clone(apimeta.Meta(o)).(*gantryv1.ObjectMeta)
	r := apimeta.Inner(c).ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName("metadata"), protoreflect.ValueOfMessage(m.ProtoReflect()))
	return c, m
}
