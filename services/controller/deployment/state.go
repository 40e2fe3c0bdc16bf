package deployment

import (
	"context"
	"sort"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"k8s.io/apimachinery/pkg/labels"
)

// rsState is one ReplicaSet of the Deployment with its pods, as the
// caches show them.
type rsState struct {
	obj *gantryv1.Object
	// active pods (not finished, not being deleted), ready and available
	// ones among them, and running ones (not finished: terminating
	// included).
	active, ready, available, running int32
	// nextAvailable is when the next ready pod becomes available.
	nextAvailable time.Time
}

func (r *rsState) rs() *gantryv1.ReplicaSet   { return r.obj.GetReplicaSet() }
func (r *rsState) meta() *gantryv1.ObjectMeta { return r.obj.GetReplicaSet().GetMetadata() }

// replicas returns spec.replicas.
func (r *rsState) replicas() int32 {
	if v := r.rs().GetSpec().Replicas; v != nil {
		return *v
	}
	return 1
}

// podCount is what the ReplicaSet counts for towards the surge bound:
// the pods it will have (spec) or still has (cache), whichever is more.
func (r *rsState) podCount() int32 { return max(r.replicas(), r.active) }

// availableCount is what it counts for towards the availability bound:
// the ReplicaSet deletes unavailable pods first, so it keeps at most
// spec.replicas of its available pods.
func (r *rsState) availableCount() int32 { return min(r.available, r.replicas()) }

func (r *rsState) revision() int64 { return deployutil.Revision(r.meta()) }

// state is what one reconcile of one Deployment works with.
type state struct {
	c     *Controller
	obj   *gantryv1.Object
	rsets []*rsState
	now   time.Time
	// newRS is set by findNew (nil when the template has no ReplicaSet).
	newRS *rsState
	// pendingReason is a Progressing reason this sync found (the new
	// ReplicaSet was created or found), applied with the status.
	pendingReason string
}

func (s *state) d() *gantryv1.Deployment { return s.obj.GetDeployment() }

// newState claims the Deployment's ReplicaSets and counts their pods.
func (c *Controller) newState(ctx context.Context, obj *gantryv1.Object, sel labels.Selector) (*state, error) {
	m := ctrl.Meta(obj)
	candidates := ctrl.MustList(c.rsets, ctrl.IndexControllerUID, m.GetUid())
	candidates = append(candidates, ctrl.MustList(c.rsets, ctrl.IndexOrphans, m.GetNamespace())...)
	cl := &ctrl.Claimer{
		Client: c.client, Owner: m, OwnerKind: apimeta.KindDeployment, Selector: sel,
		CanAdopt: ctrl.OwnerStillCurrent(c.client, apimeta.KindDeployment, m),
	}
	owned, err := cl.Claim(ctx, candidates)
	if err != nil {
		return nil, err
	}
	s := &state{c: c, obj: obj, now: c.clock.Now()}
	minReady := obj.GetDeployment().GetSpec().GetMinReadySeconds()
	for _, o := range owned {
		s.rsets = append(s.rsets, c.countPods(o, minReady, s.now))
	}
	sortByCreation(s.rsets)
	return s, nil
}

// countPods counts the pods the ReplicaSet controls.
func (c *Controller) countPods(obj *gantryv1.Object, minReady int32, now time.Time) *rsState {
	r := &rsState{obj: obj}
	rs := obj.GetReplicaSet()
	sel, err := selector.FromLabelSelector(rs.GetSpec().GetSelector())
	if err != nil {
		return r
	}
	for _, o := range ctrl.MustList(c.pods, ctrl.IndexControllerUID, rs.GetMetadata().GetUid()) {
		p := o.GetPod()
		if !sel.Matches(labels.Set(p.GetMetadata().GetLabels())) || ctrl.IsPodTerminal(p) {
			continue
		}
		r.running++
		if !ctrl.IsPodActive(p) {
			continue
		}
		r.active++
		at, ready := ctrl.AvailableAt(p, minReady)
		if !ready {
			continue
		}
		r.ready++
		if !at.After(now) {
			r.available++
		} else if r.nextAvailable.IsZero() || at.Before(r.nextAvailable) {
			r.nextAvailable = at
		}
	}
	return r
}

// sortByCreation orders oldest first, then by name.
func sortByCreation(rs []*rsState) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].meta().GetCreationTimestamp().AsTime(), rs[j].meta().GetCreationTimestamp().AsTime()
		if !a.Equal(b) {
			return a.Before(b)
		}
		return rs[i].meta().GetName() < rs[j].meta().GetName()
	})
}

// old returns the ReplicaSets other than the new one (oldest first).
func (s *state) old() []*rsState {
	var out []*rsState
	for _, r := range s.rsets {
		if r != s.newRS {
			out = append(out, r)
		}
	}
	return out
}

// all returns every ReplicaSet (the new one included, if any).
func (s *state) all() []*rsState { return s.rsets }

func active(rs []*rsState) []*rsState {
	var out []*rsState
	for _, r := range rs {
		if r.replicas() > 0 {
			out = append(out, r)
		}
	}
	return out
}

func sumReplicas(rs []*rsState) int32 {
	var n int32
	for _, r := range rs {
		n += r.replicas()
	}
	return n
}

func sumPodCount(rs []*rsState) int32 {
	var n int32
	for _, r := range rs {
		n += r.podCount()
	}
	return n
}

func sumAvailable(rs []*rsState) int32 {
	var n int32
	for _, r := range rs {
		n += r.availableCount()
	}
	return n
}
