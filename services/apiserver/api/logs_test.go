package api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// fakeAgent answers PodLogs with the request echoed back.
type fakeAgent struct {
	gantryv1.UnimplementedNodeAgentServiceServer
}

func (fakeAgent) PodLogs(req *gantryv1.PodLogsRequest, s grpc.ServerStreamingServer[gantryv1.PodLogsResponse]) error {
	if req.GetContainer() == "missing" {
		return status.Error(codes.NotFound, "container missing is not valid")
	}
	for _, chunk := range []string{"hi from ", req.GetNamespace() + "/" + req.GetName(), " tail=" + strconv.FormatInt(req.GetTailLines(), 10)} {
		if err := s.Send(&gantryv1.PodLogsResponse{Data: []byte(chunk)}); err != nil {
			return err
		}
	}
	return nil
}

func startFakeAgent(t *testing.T) (ip string, port int32) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	gantryv1.RegisterNodeAgentServiceServer(gs, fakeAgent{})
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), int32(a.Port)
}

func agentNode(name, ip string, port int32) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Node{Node: &gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: name},
		Status: &gantryv1.NodeStatus{Addresses: []*gantryv1.NodeAddress{{Type: "InternalIP", Address: ip}},
			DaemonEndpoints: &gantryv1.NodeDaemonEndpoints{KubeletEndpoint: &gantryv1.DaemonEndpoint{Port: port}}}}}}
}

func logsPod(name, nodeName string) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: name},
		Spec: &gantryv1.PodSpec{NodeName: nodeName, Containers: []*gantryv1.Container{{Name: "c", Image: "x"}}}}}}
}

func readLogs(ctx context.Context, c gantryv1.PodServiceClient, req *gantryv1.LogsRequest) (string, error) {
	s, err := c.Logs(ctx, req)
	if err != nil {
		return "", err
	}
	var out []byte
	for {
		m, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return string(out), nil
		}
		if err != nil {
			return string(out), err
		}
		out = append(out, m.GetData()...)
	}
}

func TestPodServiceLogsProxiesToTheNodeAgent(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	ctx := context.Background()
	ip, port := startFakeAgent(t)
	res := c.Leader().Resource
	mustCreate := func(o *gantryv1.Object) {
		t.Helper()
		created, err := res.Create(ctx, &gantryv1.CreateRequest{Object: o})
		if err != nil {
			t.Fatal(err)
		}
		// Create may drop status; write it for nodes.
		if n := o.GetNode(); n != nil {
			n.Metadata = created.GetObject().GetNode().GetMetadata()
			if _, err := res.UpdateStatus(ctx, &gantryv1.UpdateStatusRequest{Object: o}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustCreate(agentNode("n1", ip, port))
	mustCreate(agentNode("dead", "127.0.0.1", closedPort(t)))
	mustCreate(logsPod("web", "n1"))
	mustCreate(logsPod("unbound", ""))
	mustCreate(logsPod("lost", "no-such-node"))
	mustCreate(logsPod("stranded", "dead"))

	// Any master proxies, followers included.
	conn, err := grpc.NewClient(c.Followers()[0].Cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pods := gantryv1.NewPodServiceClient(conn)
	tail := int64(5)
	got, err := readLogs(ctx, pods, &gantryv1.LogsRequest{Name: "web", TailLines: &tail})
	if err != nil || got != "hi from default/web tail=5" {
		t.Fatalf("logs = %q, %v", got, err)
	}
	for _, tc := range []struct {
		name, container string
		want            codes.Code
	}{
		{"nope", "", codes.NotFound},
		{"unbound", "", codes.FailedPrecondition},
		{"lost", "", codes.FailedPrecondition},
		{"stranded", "", codes.Unavailable},
		{"web", "missing", codes.NotFound},
		{"", "", codes.InvalidArgument},
	} {
		_, err := readLogs(ctx, pods, &gantryv1.LogsRequest{Name: tc.name, Container: tc.container})
		if status.Code(err) != tc.want {
			t.Errorf("logs of %q/%q: %v, want %s", tc.name, tc.container, err, tc.want)
		}
	}
}

func closedPort(t *testing.T) int32 {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return int32(port)
}
