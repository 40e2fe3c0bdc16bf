package deployment

import (
	"maps"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"k8s.io/apimachinery/pkg/labels"
)

// owner returns the cached object of kind that ref points at (same name
// and uid), if any.
func owner(cache ctrl.Cache, kind, namespace string, ref *gantryv1.OwnerReference) (*gantryv1.Object, bool) {
	if ref == nil || ref.GetKind() != kind {
		return nil, false
	}
	o, ok := cache.Get(namespace, ref.GetName())
	if !ok || ctrl.Meta(o).GetUid() != ref.GetUid() {
		return nil, false
	}
	return o, true
}

func (c *Controller) enqueueOwner(rs *gantryv1.Object) bool {
	m := ctrl.Meta(rs)
	if d, ok := owner(c.deploys, apimeta.KindDeployment, m.GetNamespace(), ctrl.ControllerRef(m)); ok {
		c.enqueue(d)
		return true
	}
	return false
}

// enqueueMatching queues the Deployments whose selector selects an orphan
// ReplicaSet: they may adopt it.
func (c *Controller) enqueueMatching(rs *gantryv1.Object) {
	m := ctrl.Meta(rs)
	set := labels.Set(m.GetLabels())
	for _, d := range ctrl.MustList(c.deploys, informer.NamespaceIndex, m.GetNamespace()) {
		sel, err := selector.FromLabelSelector(d.GetDeployment().GetSpec().GetSelector())
		if err == nil && !sel.Empty() && sel.Matches(set) {
			c.enqueue(d)
		}
	}
}

func (c *Controller) addRS(o *gantryv1.Object) {
	if ctrl.ControllerRef(ctrl.Meta(o)) != nil {
		c.enqueueOwner(o)
		return
	}
	c.enqueueMatching(o)
}

func (c *Controller) updateRS(old, cur *gantryv1.Object) {
	om, cm := ctrl.Meta(old), ctrl.Meta(cur)
	if ctrl.ControllerRef(om).GetUid() != ctrl.ControllerRef(cm).GetUid() {
		c.enqueueOwner(old)
	}
	if ctrl.ControllerRef(cm) != nil {
		c.enqueueOwner(cur)
		return
	}
	if !maps.Equal(om.GetLabels(), cm.GetLabels()) || ctrl.ControllerRef(om) != nil {
		c.enqueueMatching(cur)
	}
}

func (c *Controller) deleteRS(o *gantryv1.Object) { c.enqueueOwner(o) }

// podChanged queues the Deployment of the pod's ReplicaSet: pod
// readiness drives rollouts and status.
func (c *Controller) podChanged(o *gantryv1.Object) {
	m := ctrl.Meta(o)
	if rs, ok := owner(c.rsets, apimeta.KindReplicaSet, m.GetNamespace(), ctrl.ControllerRef(m)); ok {
		c.enqueueOwner(rs)
	}
}
