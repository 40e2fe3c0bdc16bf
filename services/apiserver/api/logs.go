package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// podService implements PodService: it reaches into running pods through
// the node agent that runs them, as the Kubernetes API server proxies
// kubectl logs to the kubelet.
type podService struct {
	gantryv1.UnimplementedPodServiceServer
	s *Service
}

// Pods returns the PodService handlers of this master.
func (s *Service) Pods() gantryv1.PodServiceServer { return &podService{s: s} }

// Logs finds the pod's node, dials its agent (the Node's InternalIP and
// daemonEndpoints.kubeletEndpoint.port) and relays the log stream.
func (p *podService) Logs(req *gantryv1.LogsRequest, stream grpc.ServerStreamingServer[gantryv1.LogsResponse]) error {
	ctx := stream.Context()
	ns := req.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	if req.GetName() == "" {
		return toStatus(fmt.Errorf("%w: name: Required value", errInvalid))
	}
	addr, err := p.s.agentFor(ctx, ns, req.GetName())
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return status.Errorf(codes.Unavailable, "node agent at %s: %v", addr, err)
	}
	defer conn.Close()
	in, err := gantryv1.NewNodeAgentServiceClient(conn).PodLogs(ctx, &gantryv1.PodLogsRequest{
		Namespace: ns, Name: req.GetName(), Container: req.GetContainer(), Follow: req.GetFollow(),
		TailLines: req.TailLines, Previous: req.GetPrevious(), LimitBytes: req.LimitBytes,
	})
	if err == nil {
		err = relayLogs(in, stream)
	}
	return agentError(addr, err)
}

func relayLogs(in grpc.ServerStreamingClient[gantryv1.PodLogsResponse], out grpc.ServerStreamingServer[gantryv1.LogsResponse]) error {
	for {
		msg, err := in.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := out.Send(&gantryv1.LogsResponse{Data: msg.GetData()}); err != nil {
			return err
		}
	}
}

// agentError keeps the agent's answer, except that an unreachable agent
// says so.
func agentError(addr string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return status.Error(codes.Unavailable, err.Error())
	}
	if st.Code() == codes.Unavailable {
		return status.Errorf(codes.Unavailable, "node agent at %s is unreachable: %s", addr, st.Message())
	}
	return err
}

// agentFor returns the address of the node agent running a pod, read
// linearizably: NOT_FOUND for no such pod, FAILED_PRECONDITION for a pod
// not bound yet or bound to a node that is unknown or has no address.
func (s *Service) agentFor(ctx context.Context, ns, name string) (string, error) {
	_, addr, err := s.podAgent(ctx, ns, name)
	return addr, err
}

// podAgent is agentFor that also returns the pod.
func (s *Service) podAgent(ctx context.Context, ns, name string) (*gantryv1.Pod, string, error) {
	if err := s.consistent(ctx, gantryv1.Consistency_CONSISTENCY_UNSPECIFIED, ""); err != nil {
		return nil, "", toStatus(err)
	}
	o, _, err := s.st.Get("Pod", ns, name)
	if err != nil {
		return nil, "", toStatus(fmt.Errorf("Pod %q: %w", ns+"/"+name, err))
	}
	pod := o.GetPod()
	nodeName := pod.GetSpec().GetNodeName()
	if nodeName == "" {
		return nil, "", status.Errorf(codes.FailedPrecondition, "pod %s/%s is not bound to a node yet", ns, name)
	}
	n, _, err := s.st.Get("Node", "", nodeName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", status.Errorf(codes.FailedPrecondition, "node %q of pod %s/%s is unknown", nodeName, ns, name)
	}
	if err != nil {
		return nil, "", toStatus(err)
	}
	ip := ""
	for _, a := range n.GetNode().GetStatus().GetAddresses() {
		if a.GetType() == "InternalIP" && ip == "" {
			ip = a.GetAddress()
		}
	}
	port := n.GetNode().GetStatus().GetDaemonEndpoints().GetKubeletEndpoint().GetPort()
	if ip == "" || port <= 0 {
		return nil, "", status.Errorf(codes.FailedPrecondition, "node %q has no InternalIP address or node agent port in its status", nodeName)
	}
	return pod, net.JoinHostPort(ip, strconv.Itoa(int(port))), nil
}
