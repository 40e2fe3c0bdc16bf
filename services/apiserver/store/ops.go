package store

import (
	"fmt"
	"slices"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

func (tx *txn) create(op *storagev1.Op) Result {
	obj := op.GetObject()
	info, key, meta, err := target(obj)
	if err != nil {
		return Result{Err: err}
	}
	if info.Namespaced {
		if err := tx.namespaceOpen(meta.GetNamespace()); err != nil {
			return Result{Err: err}
		}
	}
	if _, ok := tx.table(info).get(key); ok {
		return Result{Err: fmt.Errorf("%w: %s %q", ErrAlreadyExists, info.Name, key)}
	}
	if err := tx.assignService(key, obj, nil, op); err != nil {
		return Result{Err: err}
	}
	// The command was decoded for this Apply alone, so the store may own it.
	meta.Generation = 1
	tx.put(info, key, obj, nil)
	return Result{Object: obj}
}

func (tx *txn) update(op *storagev1.Op) Result {
	obj := op.GetObject()
	info, key, meta, err := target(obj)
	if err != nil {
		return Result{Err: err}
	}
	old, ok := tx.table(info).get(key)
	if !ok {
		return Result{Err: fmt.Errorf("%w: %s %q", ErrNotFound, info.Name, key)}
	}
	oldMeta := apimeta.Meta(old)
	if err := checkPreconditions(op, info.Name, key, oldMeta); err != nil {
		return Result{Err: err}
	}
	if err := tx.assignService(key, obj, old, op); err != nil {
		return Result{Err: err}
	}
	// Fields the server owns are kept from the stored object.
	meta.Uid, meta.CreationTimestamp = oldMeta.GetUid(), oldMeta.GetCreationTimestamp()
	meta.DeletionTimestamp, meta.DeletionGracePeriodSeconds = oldMeta.GetDeletionTimestamp(), oldMeta.DeletionGracePeriodSeconds
	meta.GenerateName = oldMeta.GetGenerateName()
	apimeta.SetStatus(obj, old)
	meta.Generation = oldMeta.GetGeneration()
	bodySame := apimeta.BodyEqual(obj, old)
	if !bodySame {
		meta.Generation++
	}
	meta.ResourceVersion = oldMeta.GetResourceVersion()
	if bodySame && proto.Equal(meta, oldMeta) {
		return Result{Object: old}
	}
	if meta.GetDeletionTimestamp() != nil && len(meta.GetFinalizers()) == 0 && !tx.graceful(old) &&
		!(info.Name == apimeta.KindNamespace && tx.namespaceHasObjects(meta.GetName())) {
		return Result{Object: tx.remove(info, key, obj)}
	}
	tx.put(info, key, obj, old)
	return Result{Object: obj}
}

func (tx *txn) updateStatus(op *storagev1.Op) Result {
	in := op.GetObject()
	info, key, _, err := target(in)
	if err != nil {
		return Result{Err: err}
	}
	old, ok := tx.table(info).get(key)
	if !ok {
		return Result{Err: fmt.Errorf("%w: %s %q", ErrNotFound, info.Name, key)}
	}
	if err := checkPreconditions(op, info.Name, key, apimeta.Meta(old)); err != nil {
		return Result{Err: err}
	}
	if proto.Equal(apimeta.Status(in), apimeta.Status(old)) {
		return Result{Object: old}
	}
	obj, _ := withNewMeta(old)
	apimeta.SetStatus(obj, in)
	tx.put(info, key, obj, old)
	return Result{Object: obj}
}

func (tx *txn) delete(op *storagev1.Op) Result {
	info, ok := apimeta.Lookup(op.GetKind())
	if !ok || op.GetName() == "" {
		return Result{Err: fmt.Errorf("%w: delete of unknown kind %q or without name", ErrBadCommand, op.GetKind())}
	}
	key := apimeta.Key(op.GetNamespace(), op.GetName())
	old, ok := tx.table(info).get(key)
	if !ok {
		return Result{Err: fmt.Errorf("%w: %s %q", ErrNotFound, info.Name, key)}
	}
	if err := checkPreconditions(op, info.Name, key, apimeta.Meta(old)); err != nil {
		return Result{Err: err}
	}
	return Result{Object: tx.deleteObject(info, key, old, op)}
}

// deleteObject removes old, or marks it for deletion when finalizers or a
// graceful pod shutdown must run first.
func (tx *txn) deleteObject(info *apimeta.Info, key string, old *gantryv1.Object, op *storagev1.Op) *gantryv1.Object {
	stored := old
	add := missingFinalizers(apimeta.Meta(old), op.GetAddFinalizers())
	if len(add) > 0 && apimeta.Meta(old).GetDeletionTimestamp() == nil && info.Name != apimeta.KindNamespace {
		// Propagation finalizers go on with the deletion mark, atomically.
		obj, meta := withNewMeta(old)
		meta.Finalizers = append(meta.Finalizers, add...)
		old = obj
	}
	oldMeta := apimeta.Meta(old)
	grace := gracePeriod(old, op)
	if len(oldMeta.GetFinalizers()) == 0 && grace == 0 && !(info.Name == apimeta.KindNamespace && tx.namespaceHasObjects(oldMeta.GetName())) {
		return tx.remove(info, key, old)
	}
	if info.Name == apimeta.KindNamespace {
		return tx.terminateNamespace(key, old, op)
	}
	if oldMeta.GetDeletionTimestamp() != nil {
		if oldMeta.DeletionGracePeriodSeconds == nil || grace >= oldMeta.GetDeletionGracePeriodSeconds() {
			return old
		}
	}
	obj, meta := withNewMeta(old)
	if meta.DeletionTimestamp == nil {
		meta.DeletionTimestamp = op.GetNow()
	}
	// Record the grace even when it is 0: a forced delete of a pod that
	// finalizers still hold must let the last finalizer's removal remove it.
	meta.DeletionGracePeriodSeconds = &grace
	tx.put(info, key, obj, stored)
	return obj
}

// gracePeriod is how long a pod bound to a node gets to shut down: its
// node agent stops it and then deletes it for good with grace 0. Other
// objects, and pods no node runs, go at once.
func gracePeriod(o *gantryv1.Object, op *storagev1.Op) int64 {
	pod := o.GetPod()
	if pod == nil || pod.GetSpec().GetNodeName() == "" || podFinished(pod) {
		return 0
	}
	if op.GracePeriodSeconds != nil {
		return max(op.GetGracePeriodSeconds(), 0)
	}
	if g := pod.GetSpec().TerminationGracePeriodSeconds; g != nil {
		return max(*g, 0)
	}
	return 30
}

// graceful reports whether an object marked for deletion still waits for
// its node agent.
func (tx *txn) graceful(o *gantryv1.Object) bool {
	pod := o.GetPod()
	g := apimeta.Meta(o).DeletionGracePeriodSeconds
	return pod != nil && g != nil && *g > 0 && pod.GetSpec().GetNodeName() != "" && !podFinished(pod)
}

func podFinished(p *gantryv1.Pod) bool {
	ph := p.GetStatus().GetPhase()
	return ph == "Succeeded" || ph == "Failed"
}

// missingFinalizers returns the names in add that m does not have yet.
func missingFinalizers(m *gantryv1.ObjectMeta, add []string) []string {
	var out []string
	for _, f := range add {
		if !slices.Contains(m.GetFinalizers(), f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
