package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// env is a three-master cluster with a client.
type env struct {
	t       *testing.T
	cluster *testutil.Cluster
	c       *client.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cl := testutil.NewCluster(t, 3)
	cfg := client.DefaultConfig()
	for _, m := range cl.Members {
		cfg.Servers = append(cfg.Servers, m.Cfg.Listen)
	}
	c, err := client.New(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &env{t: t, cluster: cl, c: c}
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	e.t.Cleanup(cancel)
	return ctx
}

// replica is a running scheduler with a gRPC client to its service.
type replica struct {
	s      *Scheduler
	svc    gantryv1.SchedulerServiceClient
	cancel context.CancelFunc
	done   chan error
}

// startScheduler runs a scheduler replica with fast election timings
// until the test ends (or stop is called).
func (e *env) startScheduler(id string, mutate ...func(*Config)) *replica {
	e.t.Helper()
	cfg := DefaultConfig()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", testutil.FreeAddr(e.t)
	cfg.Election.Identity = id
	cfg.Election.LeaseDuration, cfg.Election.RenewDeadline, cfg.Election.RetryPeriod = 3*time.Second, 2*time.Second, 200*time.Millisecond
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := New(cfg, Deps{Client: e.c}, zaptest.NewLogger(e.t, zaptest.Level(zap.InfoLevel)).Named(id))
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{s: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		e.t.Fatal(err)
	}
	r.svc = gantryv1.NewSchedulerServiceClient(conn)
	e.t.Cleanup(func() {
		r.stop()
		_ = conn.Close()
	})
	return r
}

// stop ends the replica and returns Run's error (once).
func (r *replica) stop() error {
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("scheduler did not stop within 30s")
	}
}

type nodeOpt func(*gantryv1.Node)

func unschedulableNode(n *gantryv1.Node) { n.Spec.Unschedulable = true }

func (e *env) createNode(name, cpu string, opts ...nodeOpt) {
	e.t.Helper()
	n := &gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Spec:     &gantryv1.NodeSpec{},
		Status: &gantryv1.NodeStatus{
			Capacity:    map[string]string{"cpu": cpu, "memory": "8Gi", "pods": "110"},
			Allocatable: map[string]string{"cpu": cpu, "memory": "8Gi", "pods": "110"},
			Conditions:  []*gantryv1.Condition{{Type: "Ready", Status: "True", Reason: "NodeAgentReady"}},
		},
	}
	for _, o := range opts {
		o(n)
	}
	if _, err := e.c.Create(e.ctx(), apimeta.Wrap(n)); err != nil {
		e.t.Fatalf("create node %s: %v", name, err)
	}
}

type podOpt func(*gantryv1.Pod)

func ownedBy(uid string) podOpt {
	yes := true
	return func(p *gantryv1.Pod) {
		p.Metadata.OwnerReferences = []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: "rs-" + uid, Uid: uid, Controller: &yes}}
	}
}

func schedulerName(name string) podOpt {
	return func(p *gantryv1.Pod) { p.Spec.SchedulerName = name }
}

func (e *env) createPod(name, cpu string, opts ...podOpt) *gantryv1.Pod {
	e.t.Helper()
	p := &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{
			Name: "main", Image: "sleep", Command: []string{"sleep", "3600"},
			Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": cpu, "memory": "64Mi"}},
		}}},
	}
	for _, o := range opts {
		o(p)
	}
	out, err := e.c.Create(e.ctx(), apimeta.Wrap(p))
	if err != nil {
		e.t.Fatalf("create pod %s: %v", name, err)
	}
	return out.GetPod()
}

func (e *env) getPod(name string) *gantryv1.Pod {
	e.t.Helper()
	o, err := e.c.Get(e.ctx(), apimeta.KindPod, "default", name)
	if err != nil {
		e.t.Fatalf("get pod %s: %v", name, err)
	}
	return o.GetPod()
}

// waitBound waits until the pods are bound and returns their nodes.
func (e *env) waitBound(names ...string) map[string]string {
	e.t.Helper()
	nodes := map[string]string{}
	testutil.Eventually(e.t, 20*time.Second, func() error {
		for _, n := range names {
			if nodes[n] != "" {
				continue
			}
			if node := e.getPod(n).GetSpec().GetNodeName(); node != "" {
				nodes[n] = node
				continue
			}
			return fmt.Errorf("pod %s not bound yet", n)
		}
		return nil
	})
	return nodes
}

func podScheduledCondition(p *gantryv1.Pod) *gantryv1.Condition {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == "PodScheduled" {
			return c
		}
	}
	return nil
}

// bindWatcher records every change of a pod's node over a watch, to prove
// no pod is ever bound twice.
type bindWatcher struct {
	rebinds chan string
}

func (e *env) watchRebinds() *bindWatcher {
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	bw := &bindWatcher{rebinds: make(chan string, 100)}
	w := e.c.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindPod, SendInitialEvents: true})
	go func() {
		node := map[string]string{}
		for resp := range w.Responses() {
			for _, ev := range resp.GetEvents() {
				p := ev.GetObject().GetPod()
				key := podKey(p)
				if old, n := node[key], p.GetSpec().GetNodeName(); old != "" && n != old {
					bw.rebinds <- fmt.Sprintf("%s: %s -> %s", key, old, n)
				}
				if ev.GetType() == gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED {
					delete(node, key)
				} else {
					node[key] = p.GetSpec().GetNodeName()
				}
			}
		}
	}()
	return bw
}

func (bw *bindWatcher) check(t *testing.T) {
	t.Helper()
	select {
	case r := <-bw.rebinds:
		t.Fatalf("a pod was bound twice: %s", r)
	default:
	}
}
