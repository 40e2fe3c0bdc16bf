package store

import (
	"fmt"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// namespaceOpen checks that objects may be created in ns.
func (tx *txn) namespaceOpen(ns string) error {
	o, ok := tx.s.tables[apimeta.KindNamespace].get(ns)
	if !ok {
		return fmt.Errorf("%w: %q", ErrNamespaceNotFound, ns)
	}
	if apimeta.Meta(o).GetDeletionTimestamp() != nil {
		return fmt.Errorf("%w: %q", ErrNamespaceTerminating, ns)
	}
	return nil
}

func (tx *txn) namespaceHasObjects(ns string) bool {
	found := false
	tx.eachInNamespace(ns, func(*apimeta.Info, record) bool {
		found = true
		return false
	})
	return found
}

// eachInNamespace visits every namespaced object in ns, kind by kind in
// a fixed order, until fn returns false.
func (tx *txn) eachInNamespace(ns string, fn func(*apimeta.Info, record) bool) {
	for _, k := range apimeta.Kinds() {
		info, _ := apimeta.Lookup(k)
		if !info.Namespaced {
			continue
		}
		more := true
		tx.s.tables[k].scan(ns+"/", "", func(r record) bool {
			more = fn(info, r)
			return more
		})
		if !more {
			return
		}
	}
}

// terminateNamespace marks the namespace Terminating and deletes what it
// holds; the namespace itself goes with its last object.
func (tx *txn) terminateNamespace(key string, old *gantryv1.Object, op *storagev1.Op) *gantryv1.Object {
	info, _ := apimeta.Lookup(apimeta.KindNamespace)
	obj := old
	// A namespace already Terminating is left as it is: no new version.
	if apimeta.Meta(old).GetDeletionTimestamp() == nil || old.GetNamespace().GetStatus().GetPhase() != "Terminating" {
		var meta *gantryv1.ObjectMeta
		obj, meta = withNewMeta(old)
		if meta.DeletionTimestamp == nil {
			meta.DeletionTimestamp = op.GetNow()
		}
		status := &gantryv1.NamespaceStatus{Phase: "Terminating"}
		obj = apimeta.Wrap(&gantryv1.Namespace{Metadata: meta, Spec: obj.GetNamespace().GetSpec(), Status: status})
		tx.put(info, key, obj, old)
	}

	type victim struct {
		info *apimeta.Info
		r    record
	}
	var victims []victim
	tx.eachInNamespace(apimeta.Meta(old).GetName(), func(i *apimeta.Info, r record) bool {
		victims = append(victims, victim{i, r})
		return true
	})
	for _, v := range victims {
		tx.deleteObject(v.info, v.r.key, v.r.obj, &storagev1.Op{Now: op.GetNow(), GracePeriodSeconds: op.GracePeriodSeconds})
	}
	if cur, ok := tx.table(info).get(key); ok {
		return cur
	}
	return obj
}

// finishNamespace removes a terminating namespace once it is empty.
func (tx *txn) finishNamespace(ns string) {
	info, _ := apimeta.Lookup(apimeta.KindNamespace)
	o, ok := tx.table(info).get(ns)
	if !ok || apimeta.Meta(o).GetDeletionTimestamp() == nil || len(apimeta.Meta(o).GetFinalizers()) > 0 {
		return
	}
	if !tx.namespaceHasObjects(ns) {
		tx.remove(info, ns, o)
	}
}
