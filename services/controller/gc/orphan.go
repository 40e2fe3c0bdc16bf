package gc

import (
	"context"
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

// maxConflictRetries bounds re-read-and-retry loops of one write.
const maxConflictRetries = 5

// attemptToOrphan removes the owner's references from its dependents, then
// its "orphan" finalizer.
func (gc *Collector) attemptToOrphan(ctx context.Context, uid string) error {
	s := gc.snapshot(uid)
	if s == nil || !s.observed || !s.orphan {
		return nil
	}
	var errs []error
	for _, d := range s.dependents {
		if err := gc.removeOwnerRefs(ctx, d, map[string]bool{uid: true}); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return gc.removeFinalizer(ctx, s.id, FinalizerOrphan)
}

// update re-reads id live and writes change(obj) with its
// resource_version, retrying conflicts; change returns false when there is
// nothing to do. A missing object, or one with another uid, is done.
func (gc *Collector) update(ctx context.Context, id identity, change func(o *gantryv1.Object) bool) error {
	var err error
	for range maxConflictRetries {
		var obj *gantryv1.Object
		obj, err = gc.client.Get(ctx, id.kind, id.namespace, id.name)
		if ctrl.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if ctrl.Meta(obj).GetUid() != id.uid {
			return nil
		}
		next := proto.Clone(obj).(*gantryv1.Object)
		if !change(next) {
			return nil
		}
		_, err = gc.client.Update(ctx, next)
		if err == nil || ctrl.IsNotFound(err) {
			return nil
		}
		if !ctrl.IsConflict(err) {
			break
		}
	}
	return fmt.Errorf("update %s %s: %w", id.kind, apimeta.Key(id.namespace, id.name), err)
}

// removeOwnerRefs drops the owner references whose uid is in drop.
func (gc *Collector) removeOwnerRefs(ctx context.Context, id identity, drop map[string]bool) error {
	return gc.update(ctx, id, func(o *gantryv1.Object) bool {
		m := apimeta.Meta(o)
		var keep []*gantryv1.OwnerReference
		for _, r := range m.GetOwnerReferences() {
			if !drop[r.GetUid()] {
				keep = append(keep, r)
			}
		}
		if len(keep) == len(m.GetOwnerReferences()) {
			return false
		}
		m.OwnerReferences = keep
		return true
	})
}

// removeFinalizer drops finalizer f (the apiserver removes an object being
// deleted once its last finalizer goes).
func (gc *Collector) removeFinalizer(ctx context.Context, id identity, f string) error {
	return gc.update(ctx, id, func(o *gantryv1.Object) bool {
		m := apimeta.Meta(o)
		if !ctrl.HasFinalizer(m, f) {
			return false
		}
		m.Finalizers = ctrl.WithoutFinalizer(m.GetFinalizers(), f)
		return true
	})
}
