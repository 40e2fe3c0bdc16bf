package deployutil

import (
	"errors"
	"fmt"
	"maps"
	"sort"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
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
// Deployment on rollback (kubectl's annotationsToSkip): they describe the
// ReplicaSet, not the revision.
var rollbackSkipAnnotations = map[string]bool{
	LastAppliedAnnotation: true, RevisionAnnotation: true, RevisionHistoryAnnotation: true,
	DesiredReplicasAnnotation: true, MaxReplicasAnnotation: true,
	"deprecated.deployment.rollback.to": true,
}

// IsControlledBy reports whether m's controller owner reference names uid.
func IsControlledBy(m *gantryv1.ObjectMeta, uid string) bool {
	for _, r := range m.GetOwnerReferences() {
		if r.GetController() {
			return r.GetUid() == uid
		}
	}
	return false
}

// OwnedReplicaSets returns the ReplicaSets among all that d controls,
// oldest revision first.
func OwnedReplicaSets(d *gantryv1.Deployment, all []*gantryv1.ReplicaSet) []*gantryv1.ReplicaSet {
	var out []*gantryv1.ReplicaSet
	for _, rs := range all {
		if IsControlledBy(rs.GetMetadata(), d.GetMetadata().GetUid()) {
			out = append(out, rs)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return Revision(out[i].GetMetadata()) < Revision(out[j].GetMetadata()) })
	return out
}

// RollbackTarget returns the ReplicaSet of d with revision toRevision, or
// with 0 the one of the revision before the newest, as kubectl rollout
// undo picks it.
func RollbackTarget(d *gantryv1.Deployment, all []*gantryv1.ReplicaSet, toRevision int64) (*gantryv1.ReplicaSet, error) {
	owned := OwnedReplicaSets(d, all)
	if toRevision > 0 {
		for _, rs := range owned {
			if Revision(rs.GetMetadata()) == toRevision {
				return rs, nil
			}
		}
		return nil, fmt.Errorf("%w: %d", ErrRevisionNotFound, toRevision)
	}
	if len(owned) < 2 {
		return nil, ErrNoHistory
	}
	latest := Revision(owned[len(owned)-1].GetMetadata())
	for i := len(owned) - 1; i >= 0; i-- {
		if Revision(owned[i].GetMetadata()) < latest {
			return owned[i], nil
		}
	}
	return nil, ErrNoHistory
}

// Rollback returns a copy of d whose template (and copied annotations)
// are those of the ReplicaSet of toRevision (0: the previous revision),
// and that ReplicaSet. The caller Updates the copy with d's
// resource_version; the controller then scales the matching ReplicaSet
// back up and gives it the next revision. This is what kubectl rollout
// undo does on the client side. With ErrSameTemplate the ReplicaSet is
// returned too, so callers can name its revision.
func Rollback(d *gantryv1.Deployment, all []*gantryv1.ReplicaSet, toRevision int64) (*gantryv1.Deployment, *gantryv1.ReplicaSet, error) {
	if d.GetSpec().GetPaused() {
		return nil, nil, ErrPaused
	}
	rs, err := RollbackTarget(d, all, toRevision)
	if err != nil {
		return nil, nil, err
	}
	if EqualIgnoreHash(rs.GetSpec().GetTemplate(), d.GetSpec().GetTemplate()) {
		return nil, rs, fmt.Errorf("%w %d", ErrSameTemplate, Revision(rs.GetMetadata()))
	}
	out := proto.Clone(d).(*gantryv1.Deployment)
	if out.Spec == nil {
		out.Spec = &gantryv1.DeploymentSpec{}
	}
	if out.Metadata == nil {
		out.Metadata = &gantryv1.ObjectMeta{}
	}
	out.Spec.Template = WithoutHash(rs.GetSpec().GetTemplate())
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
