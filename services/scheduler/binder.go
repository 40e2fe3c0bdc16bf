package scheduler

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apistatus"
	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// bindRetries is how often a Bind the server did not apply is resent.
const bindRetries = 3

// bind sends one batch of bindings in one Bind call and settles each.
func (s *Scheduler) bind(ctx context.Context, items []bindItem) {
	req := &gantryv1.BindRequest{Bindings: make([]*gantryv1.Binding, len(items))}
	for i, it := range items {
		m := it.qp.Info.Pod.GetMetadata()
		req.Bindings[i] = &gantryv1.Binding{Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid(), NodeName: it.node}
	}
	s.metrics.batchSize.Observe(float64(len(items)))
	start := time.Now()
	resp, err := s.callBind(ctx, req)
	s.metrics.bindCall.Observe(time.Since(start).Seconds())
	if err == nil && len(resp.GetResults()) != len(items) {
		err = status.Errorf(codes.Internal, "Bind returned %d results for %d bindings", len(resp.GetResults()), len(items))
	}
	if err != nil {
		s.log.Warn("bind call failed", zap.Int("bindings", len(items)), zap.Error(err))
		for _, it := range items {
			s.bindFailed(it, err)
		}
		return
	}
	for i, r := range resp.GetResults() {
		if r.GetCode() == int32(codes.OK) {
			s.scheduled.Add(1)
			s.metrics.binds.WithLabelValues("ok").Inc()
			pod := items[i].qp.Info.Pod
			s.rec.Eventf(pod, events.Normal, "Scheduled", "Successfully assigned %s/%s to %s",
				pod.GetMetadata().GetNamespace(), pod.GetMetadata().GetName(), items[i].node)
			continue
		}
		s.bindFailed(items[i], status.Error(codes.Code(r.GetCode()), r.GetMessage()))
	}
}

// callBind calls Bind, resending while the server says it did not apply
// the request (no leader yet).
func (s *Scheduler) callBind(ctx context.Context, req *gantryv1.BindRequest) (*gantryv1.BindResponse, error) {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		resp, err := s.api.Resources().Bind(cctx, req)
		cancel()
		if err == nil || !apistatus.WriteRetryable(err) || attempt >= bindRetries {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
}

// bindFailed releases the assumption and, if the pod still waits for this
// scheduler, queues it again with backoff. ABORTED means it was already
// bound (by another replica or an earlier attempt whose answer was lost):
// the informer will show where.
func (s *Scheduler) bindFailed(it bindItem, err error) {
	pi := it.qp.Info
	code := status.Code(err)
	result := "error"
	if code == codes.Aborted {
		result = "conflict"
		s.conflicts.Add(1)
	}
	s.metrics.binds.WithLabelValues(result).Inc()
	s.log.Debug("binding failed", zap.String("pod", pi.Key), zap.String("node", it.node), zap.Error(err))
	if s.cache.Forget(pi.Key, pi.UID) {
		s.queue.MoveAll(eventPodDelete)
	}
	if s.pendingPod(pi) != nil {
		s.queue.AddBackoff(it.qp)
	}
}
