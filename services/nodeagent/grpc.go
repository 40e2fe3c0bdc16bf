package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// agentService implements NodeAgentService.
type agentService struct {
	gantryv1.UnimplementedNodeAgentServiceServer
	a *Agent
}

// Status reports the agent's node(s) and pods.
func (s *agentService) Status(context.Context, *gantryv1.NodeAgentServiceStatusRequest) (*gantryv1.NodeAgentServiceStatusResponse, error) {
	a := s.a
	resp := &gantryv1.NodeAgentServiceStatusResponse{NodeName: a.cfg.Name, Runtime: a.runtimeName(), NetworkMode: a.NetworkMode()}
	if a.cfg.Simulate > 0 {
		resp.NodeName = fmt.Sprintf("%s[0-%d]", a.cfg.NamePrefix, a.cfg.Simulate-1)
	}
	for _, n := range a.nodes {
		for _, p := range n.pods.Pods() {
			resp.PodStatuses = append(resp.PodStatuses, &gantryv1.PodRuntimeStatus{Namespace: p.Namespace, Name: p.Name,
				Uid: p.UID, Phase: p.Phase, PodIp: p.PodIP})
		}
	}
	resp.Pods = int32(len(resp.PodStatuses))
	return resp, nil
}

// PodLogs streams a container's log.
func (s *agentService) PodLogs(req *gantryv1.PodLogsRequest, stream grpc.ServerStreamingServer[gantryv1.PodLogsResponse]) error {
	ns := req.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	if req.GetName() == "" {
		return status.Error(codes.InvalidArgument, "name: Required value")
	}
	pod, n, ok := s.a.findPod(ns, req.GetName())
	if !ok {
		return status.Errorf(codes.NotFound, "pod %s/%s is not on this node", ns, req.GetName())
	}
	container, err := pickContainer(pod, req.GetContainer())
	if err != nil {
		return err
	}
	opts := runtime.LogOptions{PodUID: pod.GetMetadata().GetUid(), Container: container, Follow: req.GetFollow(),
		TailLines: -1, LimitBytes: req.GetLimitBytes(), Previous: req.GetPrevious()}
	if req.TailLines != nil {
		opts.TailLines = max(req.GetTailLines(), 0)
	}
	err = n.rt.Logs(stream.Context(), opts, streamWriter{stream})
	switch {
	case errors.Is(err, runtime.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case err != nil && stream.Context().Err() != nil:
		return status.FromContextError(stream.Context().Err()).Err()
	case err != nil:
		return status.Error(codes.Internal, err.Error())
	}
	return nil
}

func (a *Agent) findPod(ns, name string) (*gantryv1.Pod, *node, bool) {
	for _, n := range a.nodes {
		if p, ok := n.pods.Pod(ns, name); ok {
			return p, n, true
		}
	}
	return nil, nil, false
}

// pickContainer resolves the requested container, which may be omitted
// when the pod has just one (as kubectl logs allows).
func pickContainer(pod *gantryv1.Pod, want string) (string, error) {
	var names []string
	for _, c := range pod.GetSpec().GetContainers() {
		if c.GetName() == want {
			return want, nil
		}
		names = append(names, c.GetName())
	}
	switch {
	case want != "":
		return "", status.Errorf(codes.NotFound, "container %s is not valid for pod %s", want, pod.GetMetadata().GetName())
	case len(names) == 1:
		return names[0], nil
	}
	return "", status.Errorf(codes.InvalidArgument, "a container name must be specified for pod %s, choose one of: [%s]",
		pod.GetMetadata().GetName(), strings.Join(names, " "))
}

// streamWriter sends each write as one response.
type streamWriter struct {
	s grpc.ServerStreamingServer[gantryv1.PodLogsResponse]
}

func (w streamWriter) Write(p []byte) (int, error) {
	if err := w.s.Send(&gantryv1.PodLogsResponse{Data: append([]byte(nil), p...)}); err != nil {
		return 0, err
	}
	return len(p), nil
}
