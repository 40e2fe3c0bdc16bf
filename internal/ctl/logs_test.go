package ctl

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// echoLogsAgent is a node agent whose logs say what was asked of them; a
// followed log then writes a line every 20 ms until the client goes.
type echoLogsAgent struct {
	gantryv1.UnimplementedNodeAgentServiceServer
}

func (echoLogsAgent) PodLogs(req *gantryv1.PodLogsRequest, s grpc.ServerStreamingServer[gantryv1.PodLogsResponse]) error {
	if req.GetContainer() == "missing" {
		return status.Error(codes.NotFound, `container "missing" is not in pod `+req.GetName())
	}
	opt := func(p *int64) string {
		if p == nil {
			return "unset"
		}
		return fmt.Sprint(*p)
	}
	line := fmt.Sprintf("pod=%s/%s container=%s tail=%s limit=%s previous=%t follow=%t\n", req.GetNamespace(), req.GetName(),
		req.GetContainer(), opt(req.TailLines), opt(req.LimitBytes), req.GetPrevious(), req.GetFollow())
	if err := s.Send(&gantryv1.PodLogsResponse{Data: []byte(line)}); err != nil {
		return err
	}
	for i := 0; req.GetFollow(); i++ {
		select {
		case <-s.Context().Done():
			return s.Context().Err()
		case <-time.After(20 * time.Millisecond):
		}
		if err := s.Send(&gantryv1.PodLogsResponse{Data: []byte(fmt.Sprintf("line %d\n", i))}); err != nil {
			return err
		}
	}
	return nil
}

// startEchoLogsAgent serves echoLogsAgent and registers Node name at its
// address.
func startEchoLogsAgent(t *testing.T, c *opsCluster, name string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	gantryv1.RegisterNodeAgentServiceServer(gs, echoLogsAgent{})
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	node := c.create(t, opsNode(name))
	node.GetNode().Status = &gantryv1.NodeStatus{
		Addresses:       []*gantryv1.NodeAddress{{Type: "InternalIP", Address: "127.0.0.1"}},
		DaemonEndpoints: &gantryv1.NodeDaemonEndpoints{KubeletEndpoint: &gantryv1.DaemonEndpoint{Port: int32(l.Addr().(*net.TCPAddr).Port)}},
	}
	if _, err := c.cl.UpdateStatus(context.Background(), node); err != nil {
		t.Fatal(err)
	}
}

// logsPod is a pod with labels app=app in ns, bound to node ("" for
// none), running (and ready) when phase says so.
func (c *opsCluster) logsPod(t *testing.T, ns, name, app, node, phase string, ready bool) *gantryv1.Object {
	t.Helper()
	p := c.create(t, &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Spec:     &gantryv1.PodSpec{NodeName: node, Containers: []*gantryv1.Container{{Name: "c", Image: "x"}}},
	})
	if phase == "" {
		return p
	}
	st := &gantryv1.PodStatus{Phase: phase}
	if ready {
		st.Conditions = []*gantryv1.Condition{{Type: "Ready", Status: "True"}}
	}
	p.GetPod().Status = st
	p, err := c.cl.UpdateStatus(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLogs(t *testing.T) {
	c := newOpsCluster(t)
	startEchoLogsAgent(t, c, "n1")
	c.logsPod(t, "default", "solo", "solo", "n1", "Running", true)
	c.create(t, &gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "prod"}})
	c.logsPod(t, "prod", "solo", "solo", "n1", "Running", true)

	t.Run("pod", func(t *testing.T) {
		c.mustRun(t, "pod=default/solo container= tail=unset limit=unset previous=false follow=false\n", "logs", "solo")
		c.mustRun(t, "pod=default/solo container= tail=unset limit=unset previous=false follow=false\n", "logs", "pod/solo")
		c.mustRun(t, "pod=prod/solo container= tail=unset limit=unset previous=false follow=false\n", "logs", "po/solo", "-n", "prod")
		c.mustRun(t, "pod=default/solo container=side tail=2 limit=100 previous=true follow=false\n",
			"logs", "solo", "-c", "side", "--tail", "2", "--limit-bytes", "100", "-p")
		c.mustRun(t, "pod=default/solo container= tail=0 limit=unset previous=false follow=false\n", "logs", "solo", "--tail=0")
	})

	t.Run("follow", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := c.start(ctx, "logs", "-f", "solo")
		waitOutput(t, r, "follow=true\nline 0\nline 1\nline 2\n")
		cancel()
		r.wait(t)
		if r.code != 0 || r.err.String() != "" {
			t.Fatalf("after Ctrl-C: exit %d, stderr %q", r.code, r.err.String())
		}
	})

	t.Run("errors", func(t *testing.T) {
		c.logsPod(t, "default", "unbound", "unbound", "", "", false)
		c.logsPod(t, "default", "lost", "lost", "no-such-node", "", false)
		c.create(t, configMap("default", "cfg", nil))
		c.create(t, opsDeployment("empty", 1, "x"))
		for _, tc := range []struct {
			args  []string
			wants []string
		}{
			{[]string{"logs", "nope"}, []string{"error: pod/nope: not found"}},
			{[]string{"logs", "solo", "-n", "nowhere"}, []string{"error: pod/solo: not found"}},
			{[]string{"logs", "deploy/nope"}, []string{"error: deployment/nope: not found"}},
			{[]string{"logs", "deploy/empty"}, []string{"error: deployment/empty has no pods"}},
			{[]string{"logs", "cm/cfg"}, []string{"error: configmap/cfg has no pods (use a pod, deployment, replicaset or service)"}},
			{[]string{"logs", "widgets/w"}, []string{`resource type "widgets"`}},
			{[]string{"logs", "solo", "-c", "missing"}, []string{"error: pod/solo: logs: not found: ", `container "missing"`}},
			{[]string{"logs", "unbound"}, []string{"error: pod/unbound: logs: precondition failed: "}},
			{[]string{"logs", "lost"}, []string{"error: pod/lost: logs: precondition failed: "}},
			{[]string{"logs"}, []string{"accepts 1 arg(s), received 0"}},
			{[]string{"logs", "a", "b"}, []string{"accepts 1 arg(s), received 2"}},
		} {
			out := c.mustFail(t, tc.args, tc.wants...)
			_, errOut, _ := c.run(t, tc.args...)
			if out != "" || strings.Count(errOut, "\n") != 1 {
				t.Errorf("gantryctl %v: stdout %q, stderr %q; want one error line", tc.args, out, errOut)
			}
		}
	})
}

// TestLogsPicksTheBestPod: for a workload, logs reads the pod kubectl
// would: ready before running before scheduled before the rest, then the
// newest; never one that is being deleted.
func TestLogsPicksTheBestPod(t *testing.T) {
	c := newOpsCluster(t)
	startEchoLogsAgent(t, c, "n1")
	ctx := context.Background()
	c.create(t, opsDeployment("web", 3, "x"))
	c.create(t, &gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{Name: "web-rs", Namespace: "default"},
		Spec: &gantryv1.ReplicaSetSpec{Replicas: opsInt32(1),
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: opsTemplate("web", "x")},
	})
	c.create(t, &gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []*gantryv1.ServicePort{{Port: 80}}}})
	picked := func(t *testing.T, arg string) string {
		t.Helper()
		out, errOut, code := c.run(t, "logs", arg)
		if code != 0 {
			t.Fatalf("logs %s: exit %d, stderr %q", arg, code, errOut)
		}
		pod, _, _ := strings.Cut(strings.TrimPrefix(out, "pod=default/"), " ")
		return pod
	}
	// Each better kind of pod comes first, then an older one of the same
	// kind: the better wins over the newer, the newer over the older.
	c.logsPod(t, "default", "scheduled", "web", "n1", "Pending", false)
	c.logsPod(t, "default", "unscheduled", "web", "", "", false)
	// An unscheduled pod has no node to read from; it is picked only when
	// nothing better exists, so it is not picked here.
	if got := picked(t, "deploy/web"); got != "scheduled" {
		t.Fatalf("picked %s, want scheduled over unscheduled", got)
	}
	c.logsPod(t, "default", "running", "web", "n1", "Running", false)
	if got := picked(t, "deploy/web"); got != "running" {
		t.Fatalf("picked %s, want running", got)
	}
	c.logsPod(t, "default", "ready-old", "web", "n1", "Running", true)
	c.logsPod(t, "default", "ready-new", "web", "n1", "Running", true)
	c.logsPod(t, "default", "running-newer", "web", "n1", "Running", false)
	for _, arg := range []string{"deploy/web", "deployment/web", "rs/web-rs", "svc/web"} {
		if got := picked(t, arg); got != "ready-new" {
			t.Fatalf("logs %s picked %s, want ready-new (ready, and newer than ready-old)", arg, got)
		}
	}
	// The best pod being deleted is passed over.
	p := c.get(t, apimeta.KindPod, "default", "ready-new").GetPod()
	p.Metadata.Finalizers = []string{"example.com/hold"}
	if _, err := c.cl.Update(ctx, apimeta.Wrap(p)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: "default", Name: "ready-new"}); err != nil {
		t.Fatal(err)
	}
	if got := picked(t, "deploy/web"); got != "ready-old" {
		t.Fatalf("picked %s, want ready-old (ready-new is being deleted)", got)
	}
}

func TestMorePreferred(t *testing.T) {
	at := func(sec int64) *timestamppb.Timestamp { return &timestamppb.Timestamp{Seconds: sec} }
	pod := func(name, node, phase string, ready bool, created int64) *gantryv1.Pod {
		p := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: name, CreationTimestamp: at(created)},
			Spec: &gantryv1.PodSpec{NodeName: node}, Status: &gantryv1.PodStatus{Phase: phase}}
		if ready {
			p.Status.Conditions = []*gantryv1.Condition{{Type: "Ready", Status: "False"}, {Type: "Ready", Status: "True"}}
		}
		return p
	}
	order := []*gantryv1.Pod{
		pod("ready-new", "n", "Running", true, 5),
		pod("ready-old", "n", "Running", true, 1),
		pod("running", "n", "Running", false, 9),
		pod("scheduled", "n", "Pending", false, 9),
		pod("pending-new", "", "Pending", false, 9),
		pod("pending-old", "", "", false, 2),
	}
	for i := range order {
		for j := range order {
			if got, want := morePreferred(order[i], order[j]), i < j; got != want {
				t.Errorf("morePreferred(%s, %s) = %v, want %v", order[i].Metadata.Name, order[j].Metadata.Name, got, want)
			}
		}
	}
}
