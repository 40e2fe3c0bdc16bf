package scheduler

import (
	"maps"
	"slices"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/scheduler/framework"
	"github.com/gantryio/gantry/services/scheduler/queue"
	"google.golang.org/protobuf/proto"
)

// Events that move unschedulable pods, with the filters they may satisfy.
var (
	eventNodeAdd = queue.Event{Name: "NodeAdd", Plugins: framework.AllPlugins}
	// A bound pod that goes (or a failed binding) frees resources and ports.
	eventPodDelete = queue.Event{Name: "AssignedPodDelete", Plugins: framework.NodeResourcesFitBit | framework.NodePortsBit}
)

// responsible reports whether this scheduler must place pod.
func (s *Scheduler) responsible(pod *gantryv1.Pod) bool {
	return pod.GetSpec().GetNodeName() == "" && pod.GetMetadata().GetDeletionTimestamp() == nil &&
		pod.GetSpec().GetSchedulerName() == s.cfg.SchedulerName
}

func podKey(pod *gantryv1.Pod) string {
	return apimeta.Key(pod.GetMetadata().GetNamespace(), pod.GetMetadata().GetName())
}

func (s *Scheduler) onPodAdd(o *gantryv1.Object) {
	pod := o.GetPod()
	if node := pod.GetSpec().GetNodeName(); node != "" {
		s.cache.AddPod(framework.NewPodInfo(pod), node)
		s.queue.Delete(podKey(pod))
		return
	}
	if s.responsible(pod) && !s.cache.IsAssumed(podKey(pod)) {
		s.queue.Add(framework.NewPodInfo(pod))
	}
}

func (s *Scheduler) onPodUpdate(old, new *gantryv1.Object) {
	op, np := old.GetPod(), new.GetPod()
	key := podKey(np)
	if node := np.GetSpec().GetNodeName(); node != "" {
		if op.GetSpec().GetNodeName() == "" {
			s.queue.Delete(key)
			s.conds.forget(key)
		}
		if placementChanged(op, np) {
			s.cache.AddPod(framework.NewPodInfo(np), node)
		}
		return
	}
	switch {
	case !s.responsible(np):
		s.queue.Delete(key)
	case s.cache.IsAssumed(key):
		// Being bound; the binder requeues it if the binding fails.
	default:
		changed := np.GetMetadata().GetGeneration() != op.GetMetadata().GetGeneration()
		s.queue.Update(framework.NewPodInfo(np), changed)
	}
}

// placementChanged reports whether a bound pod's node, uid, spec
// (generation) or controller owner changed: what the cache counts.
func placementChanged(op, np *gantryv1.Pod) bool {
	om, nm := op.GetMetadata(), np.GetMetadata()
	return op.GetSpec().GetNodeName() != np.GetSpec().GetNodeName() || om.GetUid() != nm.GetUid() ||
		om.GetGeneration() != nm.GetGeneration() ||
		!slices.EqualFunc(om.GetOwnerReferences(), nm.GetOwnerReferences(), func(a, b *gantryv1.OwnerReference) bool {
			return proto.Equal(a, b)
		})
}

func (s *Scheduler) onPodDelete(o *gantryv1.Object) {
	pod := o.GetPod()
	key := podKey(pod)
	s.conds.forget(key)
	if pod.GetSpec().GetNodeName() != "" || s.cache.IsAssumed(key) {
		s.cache.RemovePod(key)
		s.queue.MoveAll(eventPodDelete)
	}
	s.queue.Delete(key)
}

func (s *Scheduler) onNodeAdd(o *gantryv1.Object) {
	s.cache.SetNode(o.GetNode())
	s.queue.MoveAll(eventNodeAdd)
}

func (s *Scheduler) onNodeUpdate(old, new *gantryv1.Object) {
	s.cache.SetNode(new.GetNode())
	if plugins := nodeChanges(old.GetNode(), new.GetNode()); plugins != 0 {
		s.queue.MoveAll(queue.Event{Name: "NodeUpdate", Plugins: plugins})
	}
}

func (s *Scheduler) onNodeDelete(o *gantryv1.Object) {
	s.cache.RemoveNode(o.GetNode().GetMetadata().GetName())
}

// nodeChanges returns the filters whose verdict a node update may change;
// heartbeats (condition times) change none.
func nodeChanges(old, new *gantryv1.Node) framework.PluginSet {
	var p framework.PluginSet
	if old.GetSpec().GetUnschedulable() != new.GetSpec().GetUnschedulable() {
		p |= framework.NodeUnschedulableBit
	}
	if readyStatus(old) != readyStatus(new) {
		p |= framework.NodeReadyBit
	}
	if !slices.EqualFunc(old.GetSpec().GetTaints(), new.GetSpec().GetTaints(), func(a, b *gantryv1.Taint) bool {
		return a.GetKey() == b.GetKey() && a.GetValue() == b.GetValue() && a.GetEffect() == b.GetEffect()
	}) {
		p |= framework.TaintTolerationBit
	}
	if !maps.Equal(old.GetMetadata().GetLabels(), new.GetMetadata().GetLabels()) {
		p |= framework.NodeSelectorBit
	}
	if !maps.Equal(old.GetStatus().GetAllocatable(), new.GetStatus().GetAllocatable()) ||
		!maps.Equal(old.GetStatus().GetCapacity(), new.GetStatus().GetCapacity()) {
		p |= framework.NodeResourcesFitBit
	}
	return p
}

func readyStatus(n *gantryv1.Node) string {
	for _, c := range n.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus()
		}
	}
	return ""
}
