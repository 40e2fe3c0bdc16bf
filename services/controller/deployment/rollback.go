package deployment

import (
	"errors"
	"fmt"
	"maps"
	"sort"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

// Rollback errors.
var (
	// ErrNoHistory: the Deployment has no earlier revision to go back to.
	ErrNoHistory = errors.New("deployment: no rollout history found")
	// ErrRevisionNotFound: no ReplicaSet of the Deployment has the revision.
	ErrRevisionNotFound = errors.New("deployment: revision not found")
	// ErrPaused: a paused Deployment cannot be rolled back (resume it).
	ErrPaused = errors.New("deployment: cannot roll back a paused deployment; resume it first")
	// ErrSameTemplate: the Deployment already runs that revision's template.
	ErrSameTemplate = errors.New("deployment: already at the template of that revision")
)

// rollbackSkipAnnotations are not copied back from a ReplicaSet into the
// Deployment on rollback (kubectl's annotationsToSkip).
var rollbackSkipAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
	RevisionAnnotation: true, "deployment.kubernetes.io/revision-history": true,
	DesiredReplicasAnnotation: true, MaxReplicasAnnotation: true,
	"deprecated.deployment.rollback.to": true,
}

// Revision returns the revision recorded on a Deployment or ReplicaSet
// (0 when it has none).
func Revision(m *gantryv1.ObjectMeta) int64 { return revisionOf(m) }

// OwnedReplicaSets returns the ReplicaSets among all that d controls,
// oldest revision first.
func OwnedReplicaSets(d *gantryv1.Deployment, all []*gantryv1.ReplicaSet) []*gantryv1.ReplicaSet {
	var out []*gantryv1.ReplicaSet
	for _, rs := range all {
		if ctrl.IsControlledBy(rs.GetMetadata(), d.GetMetadata().GetUid()) {
			out = append(out, rs)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return revisionOf(out[i].GetMetadata()) < revisionOf(out[j].GetMetadata()) })
	return out
}

// RollbackTarget returns the ReplicaSet of d with revision toRevision, or
// with 0 the one of the revision before the newest, as kubectl rollout
// undo picks it.
func RollbackTarget(d *gantryv1.Deployment, all []*gantryv1.ReplicaSet, toRevision int64) (*gantryv1.ReplicaSet, error) {
	owned := OwnedReplicaSets(d, all)
	if toRevision > 0 {
		for _, rs := range owned {
			if revisionOf(rs.GetMetadata()) == toRevision {
				return rs, nil
			}
		}
		return nil, fmt.Errorf("%w: %d", ErrRevisionNotFound, toRevision)
	}
	if len(owned) < 2 {
		return nil, ErrNoHistory
	}
	latest := revisionOf(owned[len(owned)-1].GetMetadata())
	for i := len(owned) - 1; i >= 0; i-- {
		if revisionOf(owned[i].GetMetadata()) < latest {
			return owned[i], nil
		}
	}
	return nil, ErrNoHistory
}

// Rollback returns a copy of d whose template (and copied annotations)
// are those of the ReplicaSet of toRevision (0: the previous revision).
// The caller Updates it with d's resource_version; the controller then
// scales the matching ReplicaSet back up and gives it the next revision.
// This is what kubectl rollout undo does on the client side.
func Rollback(d *gantryv1.Deployment, all []*gantryv1.ReplicaSet, toRevision int64) (*gantryv1.Deployment, *gantryv1.ReplicaSet, error) {
	if d.GetSpec().GetPaused() {
		return nil, nil, ErrPaused
	}
	rs, err := RollbackTarget(d, all, toRevision)
	if err != nil {
		return nil, nil, err
	}
	if EqualIgnoreHash(rs.GetSpec().GetTemplate(), d.GetSpec().GetTemplate()) {
		return nil, rs, fmt.Errorf("%w %d", ErrSameTemplate, revisionOf(rs.GetMetadata()))
	}
	out := proto.Clone(d).(*gantryv1.Deployment)
	out.Spec.Template = withoutHash(rs.GetSpec().GetTemplate())
	out.Metadata.Annotations = maps.Clone(out.Metadata.Annotations)
	for k, v := range rs.GetMetadata().GetAnnotations() {
		if !rollbackSkipAnnotations[k] {
			if out.Metadata.Annotations == nil {
				out.Metadata.Annotations = map[string]string{}
			}
			out.Metadata.Annotations[k] = v
		}
	}
	return out, rs, nil
}
