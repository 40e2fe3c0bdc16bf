package endpointslice

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// reconcile syncs the slices of one Service with the pods its selector
// matches. It reads only caches; its writes carry the resource_versions
// they were planned from.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	ns, name := ctrl.SplitKey(key)
	obj, ok := c.services.Get(ns, name)
	if !ok {
		c.tracker.forget(key)
		return nil
	}
	svc := obj.GetService()
	if svc.GetMetadata().GetDeletionTimestamp() != nil {
		// The garbage collector is taking the slices away; writing them
		// now would only race it.
		return nil
	}
	existing := c.managedSlices(key)
	if c.tracker.stale(key, existing) {
		c.stats.staleSyncs.Add(1)
		// ABORTED: the runner retries with backoff, as for any stale
		// cache, without counting an error.
		return status.Errorf(codes.Aborted, "endpointslice: cache of %s has not seen this controller's last writes yet", key)
	}
	var p plan
	if sel := svc.GetSpec().GetSelector(); len(sel) == 0 {
		// Without a selector the user manages the slices; only the ones
		// this controller wrote (before the selector went) go.
		p.delete = existing
	} else {
		p = computePlan(svc, existing, desiredGroups(svc, c.selectedPods(ns, sel)), c.cfg.MaxEndpointsPerSlice)
	}
	return c.write(ctx, key, p)
}

// managedSlices returns the cached slices labelled for the Service and
// managed by this controller.
func (c *Controller) managedSlices(key string) []*gantryv1.EndpointSlice {
	objs := ctrl.MustList(c.slices, indexSliceService, key)
	out := make([]*gantryv1.EndpointSlice, 0, len(objs))
	for _, o := range objs {
		s := o.GetEndpointSlice()
		if s.GetMetadata().GetLabels()[LabelManagedBy] == ManagedBy {
			out = append(out, s)
		}
	}
	return out
}

// selectedPods returns the cached pods of the namespace that the selector
// matches, starting from its rarest label.
func (c *Controller) selectedPods(namespace string, selector map[string]string) []*gantryv1.Object {
	var candidates []*gantryv1.Object
	first := true
	for k, v := range selector {
		objs := ctrl.MustList(c.pods, indexPodLabel, labelValue(namespace, k, v))
		if first || len(objs) < len(candidates) {
			candidates, first = objs, false
		}
		if len(candidates) == 0 {
			return nil
		}
	}
	out := make([]*gantryv1.Object, 0, len(candidates))
	for _, o := range candidates {
		if selects(selector, o.GetPod().GetMetadata().GetLabels()) {
			out = append(out, o)
		}
	}
	return out
}
