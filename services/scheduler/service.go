package scheduler

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/scheduler/framework"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// service implements gantry.v1.SchedulerService on every replica.
type service struct {
	gantryv1.UnimplementedSchedulerServiceServer
	s *Scheduler
}

// Status reports the replica's role, cache and queue.
func (v *service) Status(context.Context, *gantryv1.SchedulerServiceStatusRequest) (*gantryv1.SchedulerServiceStatusResponse, error) {
	s := v.s
	nodes, _, _ := s.cache.Stats()
	a, b, u := s.queue.Lens()
	return &gantryv1.SchedulerServiceStatusResponse{
		Identity:           s.cfg.Election.Identity,
		Leading:            s.leading.Load(),
		SchedulerName:      s.cfg.SchedulerName,
		Nodes:              int32(nodes),
		Active:             int32(a),
		Backoff:            int32(b),
		Unschedulable:      int32(u),
		ScheduledTotal:     s.scheduled.Load(),
		BindConflictsTotal: s.conflicts.Load(),
	}, nil
}

// Explain runs every filter on every node for one pod from the cache.
func (v *service) Explain(_ context.Context, req *gantryv1.ExplainRequest) (*gantryv1.ExplainResponse, error) {
	ns := req.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name: Required value")
	}
	obj, ok := v.s.pods.Store().Get(ns, req.GetName())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "pod %s/%s is not in the scheduler's cache (finished pods are not)", ns, req.GetName())
	}
	ex := v.s.explain(framework.NewPodInfo(obj.GetPod()))
	out := &gantryv1.ExplainResponse{Summary: ex.Summary, Chosen: ex.Chosen}
	for _, vd := range ex.Verdicts {
		nv := &gantryv1.NodeVerdict{Node: vd.Node, Feasible: vd.Status == nil, Score: vd.Score}
		if vd.Status != nil {
			nv.Filter, nv.Reason = vd.Status.Plugin, vd.Status.Message()
		}
		out.Nodes = append(out.Nodes, nv)
	}
	return out, nil
}

// explain runs the framework over the cached nodes. For a pod that is
// already bound, its own requests still count on its node.
func (s *Scheduler) explain(pi *framework.PodInfo) framework.Explanation {
	var ex framework.Explanation
	s.cache.View(func(nodes []*framework.NodeInfo) {
		ex = s.fw.Explain(pi, nodes)
	})
	return ex
}
