package ctrltest

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/workqueue"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Action records one write a controller made.
type Action struct {
	// Verb is create, update, updateStatus or delete.
	Verb, Kind, Key string
	// Batched is true for writes that came through Batch.
	Batched bool
}

type change struct {
	kind, key string
	obj       *gantryv1.Object // nil: deleted
}

// World is a fake API server plus caches. Writes change the truth at once;
// caches see them when Sync is called (or at once with AutoSync).
type World struct {
	Clock *workqueue.FakeClock
	// AutoSync delivers every write to the caches immediately.
	AutoSync bool
	// GracefulPods keeps deleted pods that are bound to a node, marked
	// with a deletion timestamp, until FinishPodDeletion, as a node agent
	// would.
	GracefulPods bool
	// Fail, when set, is asked before every write; an error fails it.
	Fail func(a Action) error

	mu      sync.Mutex
	objs    map[string]map[string]*gantryv1.Object
	caches  map[string]*Cache
	pending []change
	actions []Action
	rv      uint64
	names   int
	batches int
}

// NewWorld returns an empty world whose clock starts at a fixed time.
func NewWorld() *World {
	return &World{
		Clock: workqueue.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		objs:  map[string]map[string]*gantryv1.Object{}, caches: map[string]*Cache{},
	}
}

// Cache returns the cache of kind (created on first use).
func (w *World) Cache(kind string) *Cache {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.caches[kind]
	if !ok {
		c = newCache()
		w.caches[kind] = c
	}
	return c
}

// Sync delivers the pending changes to the caches, in order, calling
// their handlers.
func (w *World) Sync() {
	for {
		w.mu.Lock()
		pending := w.pending
		w.pending = nil
		w.mu.Unlock()
		if len(pending) == 0 {
			return
		}
		for _, ch := range pending {
			w.Cache(ch.kind).apply(ch.key, ch.obj)
		}
	}
}

// Actions returns the writes so far; ResetActions forgets them.
func (w *World) Actions() []Action {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Action(nil), w.actions...)
}

// ResetActions forgets the recorded writes.
func (w *World) ResetActions() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.actions = nil
}

// Count returns how many recorded writes have verb and kind.
func (w *World) Count(verb, kind string) int {
	n := 0
	for _, a := range w.Actions() {
		if a.Verb == verb && a.Kind == kind {
			n++
		}
	}
	return n
}

// Batches returns how many Batch calls were made.
func (w *World) Batches() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.batches
}

// Objects returns the stored objects of kind.
func (w *World) Objects(kind string) []*gantryv1.Object {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*gantryv1.Object, 0, len(w.objs[kind]))
	for _, o := range w.objs[kind] {
		out = append(out, o)
	}
	return out
}

// Object returns the stored object, or nil.
func (w *World) Object(kind, namespace, name string) *gantryv1.Object {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.objs[kind][apimeta.Key(namespace, name)]
}

// Seed creates objects (not recorded as actions) and delivers every
// pending change to the caches.
func (w *World) Seed(objs ...*gantryv1.Object) []*gantryv1.Object {
	out := make([]*gantryv1.Object, len(objs))
	for i, o := range objs {
		w.mu.Lock()
		created, err := w.createLocked(o)
		w.mu.Unlock()
		if err != nil {
			panic(fmt.Sprintf("ctrltest: seed: %v", err))
		}
		out[i] = created
	}
	w.Sync()
	return out
}

// Mutate changes a stored object in place of a controller or agent (for
// example a pod's status) without preconditions, and returns it.
func (w *World) Mutate(kind, namespace, name string, fn func(o *gantryv1.Object)) *gantryv1.Object {
	w.mu.Lock()
	key := apimeta.Key(namespace, name)
	old := w.objs[kind][key]
	if old == nil {
		w.mu.Unlock()
		return nil
	}
	next := proto.Clone(old).(*gantryv1.Object)
	fn(next)
	w.storeLocked(kind, key, next)
	w.mu.Unlock()
	w.maybeSync()
	return next
}

// FinishPodDeletion removes a pod marked for deletion (the node agent's
// last step).
func (w *World) FinishPodDeletion(namespace, name string) {
	w.mu.Lock()
	w.removeLocked(apimeta.KindPod, apimeta.Key(namespace, name))
	w.mu.Unlock()
	w.maybeSync()
}

func (w *World) maybeSync() {
	if w.AutoSync {
		w.Sync()
	}
}

func (w *World) nextRV() string {
	w.rv++
	return strconv.FormatUint(w.rv, 10)
}

func (w *World) storeLocked(kind, key string, o *gantryv1.Object) {
	apimeta.EnsureMeta(o).ResourceVersion = w.nextRV()
	if w.objs[kind] == nil {
		w.objs[kind] = map[string]*gantryv1.Object{}
	}
	w.objs[kind][key] = o
	w.pending = append(w.pending, change{kind: kind, key: key, obj: o})
}

func (w *World) removeLocked(kind, key string) {
	if _, ok := w.objs[kind][key]; !ok {
		return
	}
	w.rv++
	delete(w.objs[kind], key)
	w.pending = append(w.pending, change{kind: kind, key: key})
}

func notFound(kind, key string) error {
	return status.Errorf(codes.NotFound, "%s %s not found", kind, key)
}

func (w *World) now() *timestamppb.Timestamp { return timestamppb.New(w.Clock.Now()) }
