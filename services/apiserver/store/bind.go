package store

import (
	"fmt"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

// bind sets a pod's node if it has none yet: a pod is never bound twice,
// whichever scheduler replica proposes what.
func (tx *txn) bind(op *storagev1.Op) Result {
	info, _ := apimeta.Lookup(apimeta.KindPod)
	if op.GetName() == "" || op.GetNodeName() == "" {
		return Result{Err: fmt.Errorf("%w: bind needs a pod name and a node name", ErrBadCommand)}
	}
	key := apimeta.Key(op.GetNamespace(), op.GetName())
	old, ok := tx.table(info).get(key)
	if !ok {
		return Result{Err: fmt.Errorf("%w: Pod %q", ErrNotFound, key)}
	}
	if err := checkPreconditions(op, info.Name, key, apimeta.Meta(old)); err != nil {
		return Result{Err: err}
	}
	pod := old.GetPod()
	if n := pod.GetSpec().GetNodeName(); n != "" {
		return Result{Err: fmt.Errorf("%w: Pod %q is already bound to node %q", ErrConflict, key, n)}
	}
	if apimeta.Meta(old).GetDeletionTimestamp() != nil {
		return Result{Err: fmt.Errorf("%w: Pod %q is being deleted", ErrConflict, key)}
	}
	obj, meta := withNewMeta(old)
	spec := proto.Clone(pod.GetSpec()).(*gantryv1.PodSpec)
	if spec == nil {
		spec = &gantryv1.PodSpec{}
	}
	spec.NodeName = op.GetNodeName()
	obj.GetPod().Spec = spec
	meta.Generation++
	tx.put(info, key, obj, old)
	return Result{Object: obj}
}
