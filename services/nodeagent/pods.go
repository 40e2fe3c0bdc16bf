package nodeagent

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/informer"
)

// setupPodInformer watches the pods bound to this agent's nodes: one
// watch with spec.nodeName=<name>, or, for many hollow nodes, one watch of
// every bound pod filtered here (not a thousand watches).
func (a *Agent) setupPodInformer() error {
	cfg := informer.DefaultConfig()
	cfg.Kind, cfg.FieldSelector = "Pod", "spec.nodeName="+a.cfg.Name
	if a.cfg.Simulate > 0 {
		cfg.FieldSelector = "spec.nodeName!="
	}
	inf, err := informer.New(a.client, cfg, a.log)
	if err != nil {
		return err
	}
	h := informer.Handler{
		OnAdd:    func(o *gantryv1.Object) { a.podChanged(o, false) },
		OnUpdate: func(_, o *gantryv1.Object) { a.podChanged(o, false) },
		OnDelete: func(o *gantryv1.Object) { a.podChanged(o, true) },
	}
	if err := inf.AddEventHandler(h); err != nil {
		return err
	}
	a.podInf = inf
	return nil
}

func (a *Agent) podChanged(o *gantryv1.Object, gone bool) {
	pod := o.GetPod()
	n, ok := a.byName[pod.GetSpec().GetNodeName()]
	if !ok {
		return
	}
	if gone {
		n.pods.Remove(pod)
		return
	}
	n.pods.Update(pod)
}

// cleanupOrphans stops, once the pod informer has synced, the pods the
// runtime still holds that are no longer bound here.
func (a *Agent) cleanupOrphans(ctx context.Context) error {
	if err := a.podInf.WaitForSync(ctx); err != nil {
		return nil
	}
	known := map[string]bool{}
	for _, o := range a.podInf.Store().List() {
		known[o.GetPod().GetMetadata().GetUid()] = true
	}
	for _, n := range a.nodes {
		n.pods.CleanupOrphans(ctx, func(uid string) bool { return known[uid] })
	}
	return nil
}
