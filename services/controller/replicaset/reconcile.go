package replicaset

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/labels"
)

// reconcile syncs one ReplicaSet: claim its pods, create or delete pods
// when its expectations are met, and write its status.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	ns, name := ctrl.SplitKey(key)
	obj, ok := c.rsets.Get(ns, name)
	if !ok {
		c.exp.Delete(key)
		return nil
	}
	rs := obj.GetReplicaSet()
	sel, err := selector.FromLabelSelector(rs.GetSpec().GetSelector())
	if err != nil || sel.Empty() {
		// Admission rejects these; never act on a selector that selects
		// every pod.
		c.log.Warn("ignoring ReplicaSet with an invalid or empty selector", zap.String("key", key), zap.Error(err))
		return nil
	}
	needsSync := c.exp.Satisfied(key) && rs.GetMetadata().GetDeletionTimestamp() == nil
	pods, err := c.claimPods(ctx, obj, sel)
	if err != nil {
		return err
	}
	active := activePods(pods)
	var manageErr error
	if needsSync {
		manageErr = c.manage(ctx, key, rs, active)
	}
	// Pods this controller deleted but the cache still shows do not count.
	if err := c.syncStatus(ctx, key, obj, c.withoutPendingDeletes(key, active), manageErr); err != nil {
		return err
	}
	return manageErr
}

// claimPods returns the pods the ReplicaSet controls after adopting
// matching orphans and releasing owned pods that stopped matching.
func (c *Controller) claimPods(ctx context.Context, obj *gantryv1.Object, sel labels.Selector) ([]*gantryv1.Object, error) {
	m := ctrl.Meta(obj)
	candidates := ctrl.MustList(c.pods, ctrl.IndexControllerUID, m.GetUid())
	candidates = append(candidates, ctrl.MustList(c.pods, ctrl.IndexOrphans, m.GetNamespace())...)
	cl := &ctrl.Claimer{
		Client: c.client, Owner: m, OwnerKind: apimeta.KindReplicaSet, Selector: sel,
		CanAdopt: ctrl.OwnerStillCurrent(c.client, apimeta.KindReplicaSet, m),
	}
	return cl.Claim(ctx, candidates)
}

func activePods(pods []*gantryv1.Object) []*gantryv1.Object {
	out := make([]*gantryv1.Object, 0, len(pods))
	for _, p := range pods {
		if ctrl.IsPodActive(p.GetPod()) {
			out = append(out, p)
		}
	}
	return out
}

func (c *Controller) withoutPendingDeletes(key string, pods []*gantryv1.Object) []*gantryv1.Object {
	if _, dels := c.exp.Pending(key); dels == 0 {
		return pods
	}
	out := make([]*gantryv1.Object, 0, len(pods))
	for _, p := range pods {
		if !c.exp.DeletionPending(key, ctrl.Key(p)) {
			out = append(out, p)
		}
	}
	return out
}

// replicas returns spec.replicas (1 when unset, as the API defaults it).
func replicas(rs *gantryv1.ReplicaSet) int {
	if r := rs.GetSpec().Replicas; r != nil {
		return int(*r)
	}
	return 1
}
