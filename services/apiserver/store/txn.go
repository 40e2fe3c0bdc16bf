package store

import (
	"fmt"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// txn applies the ops of one command at revision rev and collects the
// events they cause. It runs under the store's write lock.
type txn struct {
	s      *Store
	rev    uint64
	events []*Event
}

func (tx *txn) apply(op *storagev1.Op) Result {
	switch op.GetType() {
	case storagev1.OpType_OP_TYPE_CREATE:
		return tx.create(op)
	case storagev1.OpType_OP_TYPE_UPDATE:
		return tx.update(op)
	case storagev1.OpType_OP_TYPE_UPDATE_STATUS:
		return tx.updateStatus(op)
	case storagev1.OpType_OP_TYPE_DELETE:
		return tx.delete(op)
	case storagev1.OpType_OP_TYPE_SET_MEMBER:
		return tx.setMember(op)
	case storagev1.OpType_OP_TYPE_BIND:
		return tx.bind(op)
	}
	return Result{Err: fmt.Errorf("%w: unknown op type %v", ErrBadCommand, op.GetType())}
}

// target resolves the kind, key and metadata of an op's object.
func target(o *gantryv1.Object) (*apimeta.Info, string, *gantryv1.ObjectMeta, error) {
	info := apimeta.InfoOf(o)
	meta := apimeta.Meta(o)
	if info == nil || meta == nil || meta.GetName() == "" {
		return nil, "", nil, fmt.Errorf("%w: object without kind or name", ErrBadCommand)
	}
	return info, apimeta.Key(meta.GetNamespace(), meta.GetName()), meta, nil
}

func (tx *txn) table(info *apimeta.Info) *table { return tx.s.tables[info.Name] }

func (tx *txn) emit(t gantryv1.WatchEventType, info *apimeta.Info, obj, prev *gantryv1.Object) {
	ev := &Event{Type: t, Kind: info, Object: obj, Prev: prev, Rev: tx.rev, Meta: apimeta.Meta(obj)}
	if prev != nil {
		ev.PrevMeta = apimeta.Meta(prev)
	}
	tx.events = append(tx.events, ev)
}

// put stores obj under key at this revision and emits its event.
func (tx *txn) put(info *apimeta.Info, key string, obj, prev *gantryv1.Object) {
	apimeta.Meta(obj).ResourceVersion = apimeta.FormatResourceVersion(tx.rev)
	tx.table(info).put(key, obj)
	t := gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED
	if prev == nil {
		t = gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED
	}
	tx.emit(t, info, obj, prev)
}

// remove deletes the object at key; the DELETED event carries its last
// state (final) stamped with this revision, as Kubernetes does, and as
// Prev the object as it was stored.
func (tx *txn) remove(info *apimeta.Info, key string, final *gantryv1.Object) *gantryv1.Object {
	prev, _ := tx.table(info).get(key)
	last, meta := withNewMeta(final)
	meta.ResourceVersion = apimeta.FormatResourceVersion(tx.rev)
	tx.table(info).remove(key)
	tx.emit(gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED, info, last, prev)
	if info.Namespaced {
		tx.finishNamespace(meta.GetNamespace())
	}
	return last
}

// checkPreconditions applies the resource_version and uid preconditions.
func checkPreconditions(op *storagev1.Op, kind, key string, cur *gantryv1.ObjectMeta) error {
	if rv := op.GetExpectResourceVersion(); rv != 0 && apimeta.FormatResourceVersion(rv) != cur.GetResourceVersion() {
		return fmt.Errorf("%w: the %s %q has been modified (resource_version %s, expected %d); read it again and retry",
			ErrConflict, kind, key, cur.GetResourceVersion(), rv)
	}
	if uid := op.GetExpectUid(); uid != "" && uid != cur.GetUid() {
		return fmt.Errorf("%w: the %s %q has uid %s, expected %s", ErrUIDMismatch, kind, key, cur.GetUid(), uid)
	}
	return nil
}

func (tx *txn) setMember(op *storagev1.Op) Result {
	m := op.GetMember()
	if m.GetId() == "" {
		return Result{Err: fmt.Errorf("%w: member without id", ErrBadCommand)}
	}
	tx.s.members[m.GetId()] = m
	return Result{}
}
