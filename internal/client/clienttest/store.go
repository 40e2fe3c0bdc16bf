package clienttest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// MaxBatch is the most events a watch response carries (whole writes only,
// so a single larger write still goes in one response).
const MaxBatch = 64

type entry struct {
	rv     uint64
	events []*gantryv1.WatchEvent
}

// Store holds objects of every kind. Every write gets the next resource
// version and one entry in the event log. Stored objects are never mutated
// (writes store clones), so returned pointers may be shared.
type Store struct {
	mu        sync.Mutex
	rv        uint64
	objs      map[string]*gantryv1.Object
	log       []entry
	compacted uint64 // the log holds every write after this version
	changed   chan struct{}
	broken    chan struct{}
	breakGen  uint64
	bookGen   uint64
	opened    int
}

// NewStore returns an empty store at version 0.
func NewStore() *Store {
	return &Store{objs: map[string]*gantryv1.Object{}, changed: make(chan struct{}), broken: make(chan struct{})}
}

func storeKey(kind, ns, name string) string { return kind + "\x00" + apimeta.Key(ns, name) }

// ResourceVersion returns the store's current version.
func (s *Store) ResourceVersion() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rv
}

// commitLocked appends one write to the log and wakes the watchers.
func (s *Store) commitLocked(events ...*gantryv1.WatchEvent) {
	s.log = append(s.log, entry{rv: s.rv, events: events})
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Store) nextLocked() string {
	s.rv++
	return strconv.FormatUint(s.rv, 10)
}

func event(t gantryv1.WatchEventType, o *gantryv1.Object, rv string) *gantryv1.WatchEvent {
	return &gantryv1.WatchEvent{Type: t, Object: o, ResourceVersion: rv}
}

// Get returns the stored object or NOT_FOUND.
func (s *Store) Get(kind, ns, name string) (*gantryv1.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objs[storeKey(kind, ns, name)]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "%s %s not found", kind, apimeta.Key(ns, name))
	}
	return o, nil
}

// Create stores a new object (uid and resource_version stamped).
func (s *Store) Create(obj *gantryv1.Object) (*gantryv1.Object, error) {
	kind, m := apimeta.KindOf(obj), apimeta.Meta(obj)
	if kind == "" || m.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "object needs a kind and metadata.name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := storeKey(kind, m.GetNamespace(), m.GetName())
	if _, ok := s.objs[k]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "%s %s exists", kind, apimeta.Key(m.GetNamespace(), m.GetName()))
	}
	c := proto.Clone(obj).(*gantryv1.Object)
	cm := apimeta.EnsureMeta(c)
	cm.ResourceVersion = s.nextLocked()
	cm.Uid = fmt.Sprintf("uid-%d", s.rv)
	s.objs[k] = c
	s.commitLocked(event(gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, c, cm.ResourceVersion))
	return c, nil
}

// Update replaces an object but keeps its status; a non-empty
// resource_version must match (ABORTED otherwise).
func (s *Store) Update(obj *gantryv1.Object) (*gantryv1.Object, error) {
	return s.replace(obj, func(old, c *gantryv1.Object) { apimeta.SetStatus(c, old) })
}

// UpdateStatus replaces an object's status only.
func (s *Store) UpdateStatus(obj *gantryv1.Object) (*gantryv1.Object, error) {
	return s.replace(obj, func(old, c *gantryv1.Object) {
		st := proto.Clone(c).(*gantryv1.Object)
		c.Reset()
		proto.Merge(c, old)
		apimeta.SetStatus(c, st)
	})
}

func (s *Store) replace(obj *gantryv1.Object, keep func(old, c *gantryv1.Object)) (*gantryv1.Object, error) {
	kind, m := apimeta.KindOf(obj), apimeta.Meta(obj)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := storeKey(kind, m.GetNamespace(), m.GetName())
	old, ok := s.objs[k]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "%s %s not found", kind, apimeta.Key(m.GetNamespace(), m.GetName()))
	}
	om := apimeta.Meta(old)
	if rv := m.GetResourceVersion(); rv != "" && rv != om.GetResourceVersion() {
		return nil, status.Errorf(codes.Aborted, "resource_version %s is not %s", rv, om.GetResourceVersion())
	}
	c := proto.Clone(obj).(*gantryv1.Object)
	keep(old, c)
	cm := apimeta.EnsureMeta(c)
	cm.Uid = om.GetUid()
	cm.ResourceVersion = s.nextLocked()
	s.objs[k] = c
	s.commitLocked(event(gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED, c, cm.ResourceVersion))
	return c, nil
}

// Delete removes an object; its DELETED event carries the object as it
// was and the delete's own version.
func (s *Store) Delete(kind, ns, name string) (*gantryv1.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := storeKey(kind, ns, name)
	old, ok := s.objs[k]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "%s %s not found", kind, apimeta.Key(ns, name))
	}
	delete(s.objs, k)
	s.commitLocked(event(gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED, old, s.nextLocked()))
	return old, nil
}

// WatchesOpened returns how many watch cursors the store has opened.
func (s *Store) WatchesOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// Compact forgets the event log up to now: watches from older versions get
// OUT_OF_RANGE, and so do open watches that have not caught up.
func (s *Store) Compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacted, s.log = s.rv, nil
	close(s.changed)
	s.changed = make(chan struct{})
}

// BreakWatches ends every open watch with UNAVAILABLE, as a master going
// away would.
func (s *Store) BreakWatches() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.breakGen++
	close(s.broken)
	s.broken = make(chan struct{})
}

// Bookmark makes every open watch with allow_bookmarks send a bookmark at
// its current position.
func (s *Store) Bookmark() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bookGen++
	close(s.changed)
	s.changed = make(chan struct{})
}

// matcher filters by kind, namespace and "k=v,..." label selectors.
type matcher struct {
	kind, ns string
	labels   map[string]string
}

func newMatcher(kind, ns, sel string) (matcher, error) {
	m := matcher{kind: kind, ns: ns}
	if kind == "" {
		return m, status.Error(codes.InvalidArgument, "kind is required")
	}
	for _, term := range strings.Split(sel, ",") {
		if term = strings.TrimSpace(term); term == "" {
			continue
		}
		k, v, ok := strings.Cut(term, "=")
		if !ok || strings.ContainsAny(k, "!<>") {
			return m, status.Errorf(codes.InvalidArgument, "label_selector: fake supports k=v only, got %q", term)
		}
		if m.labels == nil {
			m.labels = map[string]string{}
		}
		m.labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

func (m matcher) match(o *gantryv1.Object) bool {
	if apimeta.KindOf(o) != m.kind {
		return false
	}
	meta := apimeta.Meta(o)
	if m.ns != "" && meta.GetNamespace() != m.ns {
		return false
	}
	for k, v := range m.labels {
		if got, ok := meta.GetLabels()[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// List returns one page in key order. The continue token is the last key
// returned; every page is read at the store's current state and carries
// its current version.
func (s *Store) List(req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	m, err := newMatcher(req.GetKind(), req.GetNamespace(), req.GetLabelSelector())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.objs))
	for k, o := range s.objs {
		if m.match(o) && k > req.GetContinueToken() {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	resp := &gantryv1.ListResponse{ResourceVersion: strconv.FormatUint(s.rv, 10)}
	if l := int(req.GetLimit()); l > 0 && len(keys) > l {
		rest := int64(len(keys) - l)
		keys = keys[:l]
		resp.ContinueToken = keys[l-1]
		resp.RemainingItemCount = &rest
	}
	for _, k := range keys {
		resp.Items = append(resp.Items, s.objs[k])
	}
	return resp, nil
}
