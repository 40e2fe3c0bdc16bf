package nodeagent

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type env struct {
	t       *testing.T
	cluster *testutil.Cluster
	servers []string
	res     gantryv1.ResourceServiceClient
	pods    gantryv1.PodServiceClient
}

func newEnv(t *testing.T) *env {
	c := testutil.NewCluster(t, 3)
	e := &env{t: t, cluster: c}
	for _, m := range c.Members {
		e.servers = append(e.servers, m.Cfg.Listen)
	}
	conn, err := grpc.NewClient(c.Members[0].Cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e.res, e.pods = gantryv1.NewResourceServiceClient(conn), gantryv1.NewPodServiceClient(conn)
	return e
}

// testConfig is a fast agent config: short leases, heartbeats, back-off.
func (e *env) testConfig(name, dataDir string) Config {
	cfg := DefaultConfig()
	cfg.Servers, cfg.Name, cfg.DataDir = e.servers, name, dataDir
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", testutil.FreeAddr(e.t)
	cfg.Network = NetworkHost
	cfg.LeaseRenewInterval, cfg.HeartbeatInterval = 200*time.Millisecond, time.Second
	cfg.BackoffInitial, cfg.BackoffMax = 100*time.Millisecond, time.Second
	cfg.Version = "test"
	return cfg
}

type runningAgent struct {
	a    *Agent
	stop func()
}

// start runs an agent until the test ends or stop is called.
func (e *env) start(cfg Config) *runningAgent {
	e.t.Helper()
	a, err := New(cfg, zaptest.NewLogger(e.t, zaptest.Level(zap.WarnLevel)).Named(cfg.Name))
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				e.t.Errorf("agent %s: %v", cfg.Name, err)
			}
		case <-time.After(2 * time.Minute):
			e.t.Errorf("agent %s did not stop", cfg.Name)
		}
	}
	e.t.Cleanup(stop)
	return &runningAgent{a: a, stop: stop}
}

func (e *env) get(kind, ns, name string) (*gantryv1.Object, error) {
	resp, err := e.res.Get(context.Background(), &gantryv1.GetRequest{Kind: kind, Namespace: ns, Name: name})
	return resp.GetObject(), err
}

func (e *env) createPod(p *gantryv1.Pod) *gantryv1.Pod {
	e.t.Helper()
	resp, err := e.res.Create(context.Background(), &gantryv1.CreateRequest{Object: &gantryv1.Object{Kind: &gantryv1.Object_Pod{Pod: p}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetObject().GetPod()
}

// waitPod polls the pod until ok holds.
func (e *env) waitPod(name string, timeout time.Duration, ok func(*gantryv1.Pod) error) *gantryv1.Pod {
	e.t.Helper()
	var pod *gantryv1.Pod
	testutil.Eventually(e.t, timeout, func() error {
		o, err := e.get("Pod", "default", name)
		if err != nil {
			return err
		}
		pod = o.GetPod()
		return ok(pod)
	})
	return pod
}

func (e *env) logs(req *gantryv1.LogsRequest) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := e.pods.Logs(ctx, req)
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

func shPod(name, node, script string) *gantryv1.Pod {
	return &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: name}, Spec: &gantryv1.PodSpec{NodeName: node,
		Containers: []*gantryv1.Container{{Name: "main", Image: "busybox", Command: []string{"/bin/sh", "-c", script}}}}}
}

func runDir(dataDir, uid, container string, attempt int) string {
	return filepath.Join(dataDir, "runtime", "pods", uid, "containers", container, strconv.Itoa(attempt))
}
