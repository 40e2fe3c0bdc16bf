package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/taints"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// markPodsNotReady sets the Ready condition of the node's ready pods to
// False, as Kubernetes' node lifecycle controller does once a node is not
// Ready: the EndpointSlice controller then takes them out of their
// Services within seconds, instead of when they are evicted (300 s by
// default). Each write is the pod's status as cached with only Ready
// changed, guarded by the pod's uid; the agent, when it is back, writes
// its own view over it.
//
// A pod is marked once per spell of its node not being Ready: an agent
// that still reports Ready=True for it is alive enough for its word to
// win, and marking again would make the two write against each other.
func (c *Controller) markPodsNotReady(ctx context.Context, node string, now time.Time) error {
	var pods []*gantryv1.Pod
	var ops []*gantryv1.BatchOp
	for _, o := range ctrl.MustList(c.pods, indexNodeName, node) {
		p := o.GetPod()
		st := notReadyStatus(p, now)
		if st == nil || !c.notReady.mark(node, p.GetMetadata().GetUid()) {
			continue
		}
		m := p.GetMetadata()
		out := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid()}, Status: st}
		pods = append(pods, p)
		ops = append(ops, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_UpdateStatus{UpdateStatus: apimeta.Wrap(out)}})
	}
	var errs []error
	for i, r := range ctrl.RunBatch(ctx, c.client, ops, ctrl.MaxBatchOps, 2) {
		m := pods[i].GetMetadata()
		switch {
		case r.Err == nil:
			c.log.Info("marked pod not ready: its node is not ready", zap.String("node", node), zap.String("pod", m.GetNamespace()+"/"+m.GetName()))
		case ctrl.IsNotFound(r.Err) || ctrl.IsConflict(r.Err):
			// Gone, or replaced by another pod of the same name.
		default:
			errs = append(errs, fmt.Errorf("mark pod %s/%s not ready: %w", m.GetNamespace(), m.GetName(), r.Err))
		}
	}
	return errors.Join(errs...)
}

// notReadyStatus returns p's status with Ready False, or nil when there is
// nothing to change: not ready already, finished, or being deleted.
func notReadyStatus(p *gantryv1.Pod, now time.Time) *gantryv1.PodStatus {
	if p.GetMetadata().GetDeletionTimestamp() != nil {
		return nil
	}
	switch p.GetStatus().GetPhase() {
	case "Succeeded", "Failed":
		return nil
	}
	for i, cond := range p.GetStatus().GetConditions() {
		if cond.GetType() != "Ready" {
			continue
		}
		if cond.GetStatus() != StatusTrue {
			return nil
		}
		st := proto.Clone(p.GetStatus()).(*gantryv1.PodStatus)
		st.Conditions[i] = &gantryv1.Condition{Type: "Ready", Status: StatusFalse, Reason: taints.PodNotReadyReason,
			Message: "the node is not ready", LastTransitionTime: timestamppb.New(now)}
		return st
	}
	return nil
}

// markedPods remembers, per node not Ready, the pods marked not ready in
// this spell; bounded by the pods bound to those nodes.
type markedPods struct {
	mu sync.Mutex
	m  map[string]map[string]bool // node -> pod uid
}

// mark records uid on node and reports whether it was not yet marked.
func (mp *markedPods) mark(node, uid string) bool {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	if mp.m == nil {
		mp.m = map[string]map[string]bool{}
	}
	if mp.m[node] == nil {
		mp.m[node] = map[string]bool{}
	}
	if mp.m[node][uid] {
		return false
	}
	mp.m[node][uid] = true
	return true
}

// reset ends node's spell (it is Ready again, or gone).
func (mp *markedPods) reset(node string) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	delete(mp.m, node)
}
