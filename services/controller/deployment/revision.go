package deployment

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

// skipAnnotations are not copied from a Deployment to its ReplicaSets.
var skipAnnotations = map[string]bool{
	deployutil.RevisionAnnotation: true, deployutil.DesiredReplicasAnnotation: true, deployutil.MaxReplicasAnnotation: true,
	"kubectl.kubernetes.io/last-applied-configuration": true,
	"deployment.kubernetes.io/revision-history":        true,
}

// findNew sets newRS to the oldest ReplicaSet whose template equals the
// Deployment's (ignoring the hash label).
func (s *state) findNew() {
	s.newRS = nil
	for _, r := range s.rsets {
		if deployutil.EqualIgnoreHash(r.rs().GetSpec().GetTemplate(), s.d().GetSpec().GetTemplate()) {
			s.newRS = r
			return
		}
	}
}

func maxRevision(rs []*rsState) int64 {
	var m int64
	for _, r := range rs {
		m = max(m, r.revision())
	}
	return m
}

// syncRevision finds the new ReplicaSet (creating it when create is set)
// and brings the revision annotations of it and the Deployment up to date.
func (s *state) syncRevision(ctx context.Context, create bool) error {
	s.findNew()
	next := maxRevision(s.old()) + 1
	switch {
	case s.newRS != nil:
		if err := s.updateNewRS(ctx, next); err != nil {
			return err
		}
		if s.progressCond() == nil {
			s.pendingReason = deployutil.ReasonFoundNewRS
		}
	case create:
		if err := s.createNewRS(ctx, next); err != nil {
			return err
		}
	default:
		return nil
	}
	return s.setDeploymentRevision(ctx, s.newRS.revision())
}

// updateNewRS raises the new ReplicaSet's revision to next when it is
// lower (a rollback to it) and copies minReadySeconds.
func (s *state) updateNewRS(ctx context.Context, next int64) error {
	r := s.newRS
	minReady := s.d().GetSpec().GetMinReadySeconds()
	if r.revision() >= next && r.rs().GetSpec().GetMinReadySeconds() == minReady {
		return nil
	}
	rs := proto.Clone(r.rs()).(*gantryv1.ReplicaSet)
	if r.revision() < next {
		rs.Metadata.Annotations = maps.Clone(rs.Metadata.Annotations)
		if rs.Metadata.Annotations == nil {
			rs.Metadata.Annotations = map[string]string{}
		}
		rs.Metadata.Annotations[deployutil.RevisionAnnotation] = strconv.FormatInt(next, 10)
	}
	rs.Spec.MinReadySeconds = minReady
	updated, err := s.c.client.Update(ctx, apimeta.Wrap(rs))
	if err != nil {
		return fmt.Errorf("update ReplicaSet %s: %w", ctrl.Key(r.obj), err)
	}
	r.obj = updated
	return nil
}

// createNewRS creates the ReplicaSet of the Deployment's template, scaled
// as far as the strategy allows at once.
func (s *state) createNewRS(ctx context.Context, revision int64) error {
	d := s.d()
	hash := ComputeHash(d.GetSpec().GetTemplate(), collisionCount(d))
	tmpl := withHash(d.GetSpec().GetTemplate(), hash)
	replicas := s.newRSReplicas()
	rs := &gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{
			Name: d.GetMetadata().GetName() + "-" + hash, Namespace: d.GetMetadata().GetNamespace(),
			Labels: maps.Clone(tmpl.GetMetadata().GetLabels()), Annotations: s.newRSAnnotations(revision),
			OwnerReferences: []*gantryv1.OwnerReference{ctrl.NewControllerRef(d.GetMetadata(), apimeta.KindDeployment)},
		},
		Spec: &gantryv1.ReplicaSetSpec{
			Replicas: &replicas, MinReadySeconds: d.GetSpec().GetMinReadySeconds(),
			Selector: selectorWithHash(d.GetSpec().GetSelector(), hash), Template: tmpl,
		},
	}
	created, err := s.c.client.Create(ctx, apimeta.Wrap(rs))
	if err == nil {
		if replicas > 0 {
			s.scaled(rs.GetMetadata().GetName(), 0, replicas)
		}
		s.adoptNew(created)
		s.pendingReason = deployutil.ReasonNewRSCreated
		return nil
	}
	if !ctrl.IsConflict(err) {
		return fmt.Errorf("create ReplicaSet %s: %w", rs.GetMetadata().GetName(), err)
	}
	return s.resolveNameClash(ctx, rs.GetMetadata().GetName(), err)
}

// resolveNameClash handles ALREADY_EXISTS on create: the ReplicaSet is
// ours (the cache lags) or another template's (a hash collision: count
// it, so the next hash differs, and retry).
func (s *state) resolveNameClash(ctx context.Context, name string, createErr error) error {
	d := s.d()
	existing, err := s.c.client.Get(ctx, apimeta.KindReplicaSet, d.GetMetadata().GetNamespace(), name)
	if err != nil {
		return fmt.Errorf("create ReplicaSet %s: %w; read it back: %w", name, createErr, err)
	}
	em := ctrl.Meta(existing)
	if ctrl.IsControlledBy(em, d.GetMetadata().GetUid()) && deployutil.EqualIgnoreHash(existing.GetReplicaSet().GetSpec().GetTemplate(), d.GetSpec().GetTemplate()) {
		s.adoptNew(existing)
		return nil
	}
	st := proto.Clone(d).(*gantryv1.Deployment)
	if st.Status == nil {
		st.Status = &gantryv1.DeploymentStatus{}
	}
	n := st.GetStatus().GetCollisionCount() + 1
	st.Status.CollisionCount = &n
	st.Metadata.ResourceVersion = ""
	if _, err := s.c.client.UpdateStatus(ctx, apimeta.Wrap(st)); err != nil {
		return fmt.Errorf("record hash collision on ReplicaSet %s: %w", name, err)
	}
	return fmt.Errorf("%w: ReplicaSet %s exists with another template; collisionCount is now %d", ErrHashCollision, name, n)
}

// ErrHashCollision is returned (and the key retried) when the new
// ReplicaSet's name is taken by another template.
var ErrHashCollision = fmt.Errorf("deployment: pod-template-hash collision")

// adoptNew makes a just created (or found) ReplicaSet the new one.
func (s *state) adoptNew(obj *gantryv1.Object) {
	r := s.c.countPods(obj, s.d().GetSpec().GetMinReadySeconds(), s.now)
	s.rsets = append(s.rsets, r)
	sortByCreation(s.rsets)
	s.newRS = r
}

func (s *state) newRSAnnotations(revision int64) map[string]string {
	d := s.d()
	out := map[string]string{}
	for k, v := range d.GetMetadata().GetAnnotations() {
		if !skipAnnotations[k] {
			out[k] = v
		}
	}
	out[deployutil.RevisionAnnotation] = strconv.FormatInt(revision, 10)
	out[deployutil.DesiredReplicasAnnotation] = strconv.FormatInt(int64(desiredReplicas(d)), 10)
	out[deployutil.MaxReplicasAnnotation] = strconv.FormatInt(int64(desiredReplicas(d)+MaxSurge(d)), 10)
	return out
}

// setDeploymentRevision records the new ReplicaSet's revision on the
// Deployment.
func (s *state) setDeploymentRevision(ctx context.Context, revision int64) error {
	want := strconv.FormatInt(revision, 10)
	if s.d().GetMetadata().GetAnnotations()[deployutil.RevisionAnnotation] == want {
		return nil
	}
	d := proto.Clone(s.d()).(*gantryv1.Deployment)
	d.Metadata.Annotations = maps.Clone(d.Metadata.Annotations)
	if d.Metadata.Annotations == nil {
		d.Metadata.Annotations = map[string]string{}
	}
	d.Metadata.Annotations[deployutil.RevisionAnnotation] = want
	updated, err := s.c.client.Update(ctx, apimeta.Wrap(d))
	if err != nil {
		return fmt.Errorf("set revision of Deployment %s: %w", ctrl.Key(s.obj), err)
	}
	s.obj = updated
	return nil
}
