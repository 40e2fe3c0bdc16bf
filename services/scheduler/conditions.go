package scheduler

import (
	"context"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The PodScheduled condition, in Kubernetes' words.
const (
	condPodScheduled     = "PodScheduled"
	reasonUnschedulable  = "Unschedulable"
	conditionStatusFalse = "False"
	phasePending         = "Pending"
)

// condItem is one condition write: pod as the informer last showed it.
type condItem struct {
	pod *gantryv1.Pod
	msg string
}

// conditionWriter writes PodScheduled=False with the reason a pod fits
// nowhere, only when the message changes, batching many writes into one
// Batch call. Each write carries the pod's resource_version, so it never
// overwrites a newer status (ABORTED instead; the next attempt retries).
type conditionWriter struct {
	s *Scheduler
	b *batcher[condItem]

	mu sync.Mutex
	// sent holds the message written (or being written) per pod key until
	// the informer shows it on the pod.
	sent map[string]string
}

func newConditionWriter(s *Scheduler) *conditionWriter {
	w := &conditionWriter{s: s, sent: map[string]string{}}
	w.b = newBatcher(s.cfg.BindBatchSize, s.cfg.BindBatchWait, 1, w.flush)
	return w
}

// Run writes until ctx ends.
func (w *conditionWriter) Run(ctx context.Context) { w.b.Run(ctx) }

// set makes sure pod carries msg as its PodScheduled=False message.
func (w *conditionWriter) set(ctx context.Context, pod *gantryv1.Pod, msg string) {
	key := podKey(pod)
	if hasUnschedulable(pod, msg) {
		w.forget(key)
		return
	}
	w.mu.Lock()
	if w.sent[key] == msg {
		w.mu.Unlock()
		return
	}
	w.sent[key] = msg
	w.mu.Unlock()
	if !w.b.Add(ctx, condItem{pod: pod, msg: msg}) {
		w.forget(key)
	}
}

// forget drops what set remembers about a pod (bound, deleted, failed
// write), so the next attempt writes again if needed.
func (w *conditionWriter) forget(key string) {
	w.mu.Lock()
	delete(w.sent, key)
	w.mu.Unlock()
}

func hasUnschedulable(pod *gantryv1.Pod, msg string) bool {
	for _, c := range pod.GetStatus().GetConditions() {
		if c.GetType() == condPodScheduled {
			return c.GetStatus() == conditionStatusFalse && c.GetReason() == reasonUnschedulable && c.GetMessage() == msg
		}
	}
	return false
}

// flush writes one batch of conditions.
func (w *conditionWriter) flush(ctx context.Context, items []condItem) {
	now := timestamppb.New(w.s.clock.Now())
	req := &gantryv1.BatchRequest{Ops: make([]*gantryv1.BatchOp, len(items))}
	for i, it := range items {
		req.Ops[i] = &gantryv1.BatchOp{Op: &gantryv1.BatchOp_UpdateStatus{UpdateStatus: withUnschedulable(it.pod, it.msg, now)}}
	}
	cctx, cancel := context.WithTimeout(ctx, w.s.cfg.RequestTimeout)
	resp, err := w.s.api.Resources().Batch(cctx, req)
	cancel()
	for i, it := range items {
		code := codes.Unknown
		if err == nil && i < len(resp.GetResults()) {
			code = codes.Code(resp.GetResults()[i].GetCode())
		}
		if code == codes.OK {
			w.s.metrics.condWrite.WithLabelValues("ok").Inc()
			continue
		}
		w.s.metrics.condWrite.WithLabelValues("error").Inc()
		w.forget(podKey(it.pod))
	}
	if err != nil {
		w.s.log.Warn("writing unschedulable conditions failed", zap.Int("pods", len(items)), zap.Error(err))
	}
}

// withUnschedulable returns a status write for pod (metadata and status
// only) carrying PodScheduled=False with msg; every other status field is
// kept. The transition time moves only when the condition's status does.
func withUnschedulable(pod *gantryv1.Pod, msg string, now *timestamppb.Timestamp) *gantryv1.Object {
	st := &gantryv1.PodStatus{}
	if pod.GetStatus() != nil {
		st = proto.Clone(pod.GetStatus()).(*gantryv1.PodStatus)
	}
	if st.Phase == "" {
		st.Phase = phasePending
	}
	cond := &gantryv1.Condition{Type: condPodScheduled, Status: conditionStatusFalse, Reason: reasonUnschedulable,
		Message: msg, LastTransitionTime: now, LastProbeTime: now}
	replaced := false
	for i, c := range st.Conditions {
		if c.GetType() == condPodScheduled {
			if c.GetStatus() == conditionStatusFalse && c.GetLastTransitionTime() != nil {
				cond.LastTransitionTime = c.GetLastTransitionTime()
			}
			st.Conditions[i], replaced = cond, true
		}
	}
	if !replaced {
		st.Conditions = append(st.Conditions, cond)
	}
	m := pod.GetMetadata()
	return &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid(), ResourceVersion: m.GetResourceVersion()},
		Status:   st,
	}}}
}
