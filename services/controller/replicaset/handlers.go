package replicaset

import (
	"maps"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"k8s.io/apimachinery/pkg/labels"
)

// resolve returns the cached ReplicaSet a controller reference points at,
// or nil when it is another kind or not (or no longer) cached.
func (c *Controller) resolve(namespace string, ref *gantryv1.OwnerReference) *gantryv1.Object {
	if ref == nil || ref.GetKind() != apimeta.KindReplicaSet {
		return nil
	}
	rs, ok := c.rsets.Get(namespace, ref.GetName())
	if !ok || ctrl.Meta(rs).GetUid() != ref.GetUid() {
		return nil
	}
	return rs
}

// matching returns the keys of the ReplicaSets in the pod's namespace
// whose selector selects it (the candidates to adopt an orphan).
func (c *Controller) matching(pod *gantryv1.Object) []string {
	m := ctrl.Meta(pod)
	set := labels.Set(m.GetLabels())
	var keys []string
	for _, rs := range ctrl.MustList(c.rsets, informer.NamespaceIndex, m.GetNamespace()) {
		sel, err := selector.FromLabelSelector(rs.GetReplicaSet().GetSpec().GetSelector())
		if err == nil && !sel.Empty() && sel.Matches(set) {
			keys = append(keys, ctrl.Key(rs))
		}
	}
	return keys
}

func (c *Controller) addPod(o *gantryv1.Object) {
	m := ctrl.Meta(o)
	if m.GetDeletionTimestamp() != nil {
		// Seen for the first time already being deleted (a restart).
		c.deletePod(o)
		return
	}
	if ref := ctrl.ControllerRef(m); ref != nil {
		if rs := c.resolve(m.GetNamespace(), ref); rs != nil {
			key := ctrl.Key(rs)
			c.exp.CreationObserved(key)
			c.queue.Add(key)
		}
		return
	}
	for _, key := range c.matching(o) {
		c.queue.Add(key)
	}
}

func (c *Controller) updatePod(old, cur *gantryv1.Object) {
	om, cm := ctrl.Meta(old), ctrl.Meta(cur)
	if om.GetResourceVersion() == cm.GetResourceVersion() {
		return
	}
	labelsChanged := !maps.Equal(om.GetLabels(), cm.GetLabels())
	if cm.GetDeletionTimestamp() != nil && om.GetDeletionTimestamp() == nil {
		// A graceful delete shows up as an update first: that is when
		// the controller may count the deletion as observed.
		c.deletePod(cur)
		if labelsChanged {
			c.deletePod(old)
		}
		return
	}
	curRef, oldRef := ctrl.ControllerRef(cm), ctrl.ControllerRef(om)
	refChanged := curRef.GetUid() != oldRef.GetUid()
	if refChanged {
		if rs := c.resolve(om.GetNamespace(), oldRef); rs != nil {
			c.queue.Add(ctrl.Key(rs))
		}
	}
	if curRef != nil {
		if rs := c.resolve(cm.GetNamespace(), curRef); rs != nil {
			c.queue.Add(ctrl.Key(rs))
		}
		return
	}
	if labelsChanged || refChanged {
		for _, key := range c.matching(cur) {
			c.queue.Add(key)
		}
	}
}

func (c *Controller) deletePod(o *gantryv1.Object) {
	m := ctrl.Meta(o)
	rs := c.resolve(m.GetNamespace(), ctrl.ControllerRef(m))
	if rs == nil {
		return
	}
	key := ctrl.Key(rs)
	c.exp.DeletionObserved(key, ctrl.Key(o))
	c.queue.Add(key)
}
