package gc

import (
	"context"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
)

// ownerState classifies an owner reference.
type ownerState int

const (
	ownerSolid    ownerState = iota // exists and is not being deleted in foreground
	ownerDangling                   // gone, or replaced by an object with another uid
	ownerWaiting                    // being deleted in foreground: waits for its dependents
)

// attemptToDelete looks at one object: if it is an owner deleting in
// foreground, at its dependents; otherwise at its owners, deleting it when
// none is left, or dropping references to missing owners.
func (gc *Collector) attemptToDelete(ctx context.Context, uid string) error {
	s := gc.snapshot(uid)
	switch {
	case s == nil || !s.observed:
		return nil
	case s.deleting && s.foreground:
		return gc.processDeletingDependents(ctx, s)
	case s.deleting || len(s.owners) == 0:
		return nil
	}
	var solid, dangling, waiting []*gantryv1.OwnerReference
	for _, ref := range s.owners {
		st, err := gc.classify(ctx, ref, s.id.namespace)
		if err != nil {
			return err
		}
		switch st {
		case ownerSolid:
			solid = append(solid, ref)
		case ownerDangling:
			dangling = append(dangling, ref)
		case ownerWaiting:
			waiting = append(waiting, ref)
		}
	}
	switch {
	case len(solid) > 0:
		if len(dangling)+len(waiting) == 0 {
			return nil
		}
		drop := map[string]bool{}
		for _, r := range append(dangling, waiting...) {
			drop[r.GetUid()] = true
		}
		return gc.removeOwnerRefs(ctx, s.id, drop)
	case len(waiting) > 0 && len(s.dependents) > 0:
		// An owner waits for us and we have dependents: go in foreground
		// too, so ours are deleted before us.
		return gc.deleteObject(ctx, s.id, "Foreground")
	}
	policy := "Background"
	switch {
	case s.orphan:
		policy = "Orphan"
	case s.foreground:
		policy = "Foreground"
	}
	return gc.deleteObject(ctx, s.id, policy)
}

// classify decides whether ref's owner is alive: from the graph when it
// has observed the owner, from the absent set, else by a live read.
func (gc *Collector) classify(ctx context.Context, ref *gantryv1.OwnerReference, ns string) (ownerState, error) {
	gc.mu.Lock()
	owner := gc.graph.nodes[ref.GetUid()]
	observed := owner != nil && owner.observed
	waiting := observed && owner.deleting && owner.foreground
	gc.mu.Unlock()
	switch {
	case waiting:
		return ownerWaiting, nil
	case observed:
		return ownerSolid, nil
	case gc.absent.has(ref.GetUid()):
		return ownerDangling, nil
	}
	id := ownerIdentity(ref, ns)
	info, ok := apimeta.Lookup(id.kind)
	if !ok || (info.Namespaced && ns == "") {
		// An owner of a kind Gantry does not have (or a namespaced owner
		// of a cluster-scoped object) cannot be checked: keep the
		// dependent rather than guess.
		gc.log.Debug("cannot resolve owner", zap.String("kind", id.kind), zap.String("name", id.name))
		return ownerSolid, nil
	}
	obj, err := gc.client.Get(ctx, id.kind, id.namespace, id.name)
	switch {
	case ctrl.IsNotFound(err):
		gc.absent.add(ref.GetUid())
		return ownerDangling, nil
	case err != nil:
		return ownerSolid, fmt.Errorf("read owner %s %s: %w", id.kind, apimeta.Key(id.namespace, id.name), err)
	}
	m := ctrl.Meta(obj)
	switch {
	case m.GetUid() != ref.GetUid():
		gc.absent.add(ref.GetUid())
		return ownerDangling, nil
	case m.GetDeletionTimestamp() != nil && ctrl.HasFinalizer(m, FinalizerForeground):
		return ownerWaiting, nil
	}
	return ownerSolid, nil
}

// processDeletingDependents handles an owner deleting in foreground: while
// dependents block it, they are queued for deletion; then its finalizer
// goes.
func (gc *Collector) processDeletingDependents(ctx context.Context, s *snapshot) error {
	if len(s.blocking) == 0 {
		return gc.removeFinalizer(ctx, s.id, FinalizerForeground)
	}
	for _, d := range s.blocking {
		gc.queue.Add(itemDelete + d.uid)
	}
	return nil
}

// deleteObject deletes id (uid precondition) with policy.
func (gc *Collector) deleteObject(ctx context.Context, id identity, policy string) error {
	req := ctrl.DeleteRequest(id.kind, id.namespace, id.name, id.uid, policy)
	gc.log.Debug("deleting", zap.String("kind", id.kind), zap.String("key", apimeta.Key(id.namespace, id.name)), zap.String("policy", policy))
	r := gc.batcher.Do(ctx, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Delete{Delete: req}})
	if r.Err != nil && !ctrl.IsNotFound(r.Err) && !ctrl.IsConflict(r.Err) {
		return fmt.Errorf("delete %s %s: %w", id.kind, apimeta.Key(id.namespace, id.name), r.Err)
	}
	return nil
}
