package scheduler

import (
	"context"
	"errors"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/scheduler/cache"
	"github.com/gantryio/gantry/services/scheduler/framework"
	"github.com/gantryio/gantry/services/scheduler/queue"
	"go.uber.org/zap"
)

// bindItem is a pod assumed on a node, waiting for its Bind call.
type bindItem struct {
	qp   *queue.QueuedPod
	node string
}

// scheduleLoop places one pod after another until ctx ends.
func (s *Scheduler) scheduleLoop(ctx context.Context) {
	for {
		qp, err := s.queue.Pop(ctx)
		if err != nil {
			return
		}
		s.scheduleOne(ctx, qp)
	}
}

// scheduleOne runs the algorithm for one popped pod and assumes it on the
// chosen node, or reports it unschedulable.
func (s *Scheduler) scheduleOne(ctx context.Context, qp *queue.QueuedPod) {
	pi := qp.Info
	cur := s.pendingPod(pi)
	if cur == nil {
		s.queue.Done(pi.Key) // deleted, bound or no longer ours meanwhile
		return
	}
	start := time.Now()
	var res framework.Result
	s.cache.View(func(nodes []*framework.NodeInfo) { res = s.algo.Schedule(pi, nodes) })
	s.metrics.latency.Observe(time.Since(start).Seconds())
	if res.Node == "" {
		s.unschedulable(ctx, qp, cur, res.Diagnosis)
		return
	}
	if err := s.cache.Assume(pi, res.Node); err != nil {
		s.metrics.attempts.WithLabelValues("error").Inc()
		if errors.Is(err, cache.ErrPodKnown) {
			s.queue.Done(pi.Key) // the informer shows it placed already
			return
		}
		s.log.Debug("assume failed", zap.String("pod", pi.Key), zap.Error(err))
		s.queue.AddBackoff(qp)
		return
	}
	s.queue.Done(pi.Key)
	s.metrics.attempts.WithLabelValues("scheduled").Inc()
	if !s.binder.Add(ctx, bindItem{qp: qp, node: res.Node}) {
		s.cache.Forget(pi.Key, pi.UID)
	}
}

// unschedulable parks a pod that fits nowhere and records why on it.
func (s *Scheduler) unschedulable(ctx context.Context, qp *queue.QueuedPod, cur *gantryv1.Pod, d *framework.Diagnosis) {
	s.metrics.attempts.WithLabelValues("unschedulable").Inc()
	rejectors := d.Rejectors
	if rejectors == 0 {
		rejectors = framework.AllPlugins // no nodes at all: any node helps
	}
	s.queue.AddUnschedulable(qp, rejectors)
	msg := d.Message()
	s.log.Debug("pod unschedulable", zap.String("pod", qp.Info.Key), zap.String("reason", msg))
	// Each attempt records it; repeats only count up on one Event.
	s.rec.Event(cur, events.Warning, "FailedScheduling", msg)
	s.conds.set(ctx, cur, msg)
}

// pendingPod returns the informer's current version of pi's pod if this
// scheduler must still place it, else nil.
func (s *Scheduler) pendingPod(pi *framework.PodInfo) *gantryv1.Pod {
	m := pi.Pod.GetMetadata()
	obj, ok := s.pods.Store().Get(m.GetNamespace(), m.GetName())
	if !ok {
		return nil
	}
	pod := obj.GetPod()
	if pod.GetMetadata().GetUid() != pi.UID || !s.responsible(pod) {
		return nil
	}
	return pod
}
