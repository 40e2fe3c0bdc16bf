package endpointslice

import (
	"maps"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

func (c *Controller) addService(o *gantryv1.Object) { c.queue.Add(ctrl.Key(o)) }

func (c *Controller) updateService(old, cur *gantryv1.Object) {
	om, cm := ctrl.Meta(old), ctrl.Meta(cur)
	if om.GetResourceVersion() == cm.GetResourceVersion() {
		return
	}
	c.queue.Add(ctrl.Key(cur))
}

// deleteService forgets the Service's writes; the garbage collector
// removes its slices (they carry its controller reference).
func (c *Controller) deleteService(o *gantryv1.Object) { c.tracker.forget(ctrl.Key(o)) }

// servicesFor returns the keys of the Services in the pod's namespace
// whose selector matches labels.
func (c *Controller) servicesFor(namespace string, labels map[string]string, into map[string]struct{}) {
	for _, o := range ctrl.MustList(c.services, informer.NamespaceIndex, namespace) {
		if selects(o.GetService().GetSpec().GetSelector(), labels) {
			into[ctrl.Key(o)] = struct{}{}
		}
	}
}

func (c *Controller) enqueuePodServices(keys map[string]struct{}) {
	for k := range keys {
		c.queue.AddAfter(k, c.cfg.BatchPeriod)
	}
}

func (c *Controller) addPod(o *gantryv1.Object) {
	m := ctrl.Meta(o)
	keys := map[string]struct{}{}
	c.servicesFor(m.GetNamespace(), m.GetLabels(), keys)
	c.enqueuePodServices(keys)
}

func (c *Controller) deletePod(o *gantryv1.Object) { c.addPod(o) }

// updatePod syncs the Services that selected the pod before or after,
// but only when something an endpoint shows changed: most pod updates
// (restart counts, messages) do not concern the slices.
func (c *Controller) updatePod(old, cur *gantryv1.Object) {
	om, cm := ctrl.Meta(old), ctrl.Meta(cur)
	if om.GetResourceVersion() == cm.GetResourceVersion() {
		return
	}
	labelsChanged := !maps.Equal(om.GetLabels(), cm.GetLabels())
	if !labelsChanged && !endpointFieldsChanged(old.GetPod(), cur.GetPod()) {
		return
	}
	keys := map[string]struct{}{}
	c.servicesFor(cm.GetNamespace(), cm.GetLabels(), keys)
	if labelsChanged {
		c.servicesFor(om.GetNamespace(), om.GetLabels(), keys)
	}
	c.enqueuePodServices(keys)
}

// endpointFieldsChanged reports a change in what podEndpoint and podPorts
// read.
func endpointFieldsChanged(a, b *gantryv1.Pod) bool {
	as, bs := a.GetSpec(), b.GetSpec()
	if a.GetStatus().GetPodIp() != b.GetStatus().GetPodIp() || as.GetNodeName() != bs.GetNodeName() ||
		ctrl.IsPodReady(a) != ctrl.IsPodReady(b) || ctrl.IsPodTerminal(a) != ctrl.IsPodTerminal(b) ||
		(a.GetMetadata().GetDeletionTimestamp() == nil) != (b.GetMetadata().GetDeletionTimestamp() == nil) ||
		as.GetHostname() != bs.GetHostname() || as.GetSubdomain() != bs.GetSubdomain() {
		return true
	}
	if len(as.GetContainers()) != len(bs.GetContainers()) {
		return true
	}
	for i, ca := range as.GetContainers() {
		pa, pb := ca.GetPorts(), bs.GetContainers()[i].GetPorts()
		if len(pa) != len(pb) {
			return true
		}
		for j := range pa {
			if !proto.Equal(pa[j], pb[j]) {
				return true
			}
		}
	}
	return false
}

// sliceChanged handles a slice event (old nil: added, cur nil: deleted):
// the Service is synced unless the event is this controller's own write
// coming back. The sync waits SliceChangeDelay, so that a fight with
// another writer of the slice stays slow.
func (c *Controller) sliceChanged(old, cur *gantryv1.Object) {
	if cur != nil {
		if key, ok := managedServiceKey(cur.GetEndpointSlice()); ok && c.tracker.observe(key, cur.GetEndpointSlice(), false) {
			c.queue.AddAfter(key, c.cfg.SliceChangeDelay)
		}
	}
	if old == nil {
		return
	}
	key, ok := managedServiceKey(old.GetEndpointSlice())
	if !ok {
		return
	}
	if cur == nil {
		if c.tracker.observe(key, old.GetEndpointSlice(), true) {
			c.queue.AddAfter(key, c.cfg.SliceChangeDelay)
		}
		return
	}
	if ck, _ := managedServiceKey(cur.GetEndpointSlice()); ck != key {
		// Relabelled away from its Service: that Service lost a slice.
		c.queue.AddAfter(key, c.cfg.SliceChangeDelay)
	}
}
