package ctl

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
)

// opsCluster is an in-process three-master cluster that the rollout,
// scale, cordon and drain tests run gantryctl against, plus a client for
// setting the scene and checking the result.
type opsCluster struct {
	servers string
	cl      *client.Client
}

func newOpsCluster(t *testing.T) *opsCluster {
	t.Helper()
	c := testutil.NewCluster(t, 3)
	var servers []string
	for _, m := range c.Members {
		servers = append(servers, m.Cfg.Listen)
	}
	cfg := client.DefaultConfig()
	cfg.Servers = servers
	cl, err := client.New(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return &opsCluster{servers: strings.Join(servers, ","), cl: cl}
}

// opsBuffer is an output stream that a command running in another
// goroutine may write while the test reads it.
type opsBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *opsBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *opsBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// opsRun is one gantryctl run: started by start, finished when done is
// closed.
type opsRun struct {
	out, err opsBuffer
	code     int
	done     chan struct{}
}

// start runs gantryctl with args against the cluster in the background.
func (c *opsCluster) start(ctx context.Context, args ...string) *opsRun {
	r := &opsRun{done: make(chan struct{})}
	full := append([]string{"--server", c.servers}, args...)
	go func() {
		defer close(r.done)
		r.code = Execute(ctx, Streams{In: strings.NewReader(""), Out: &r.out, Err: &r.err}, full)
	}()
	return r
}

// wait waits (bounded) for the run to end.
func (r *opsRun) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("gantryctl still running after 60 s; output so far:\n%s\n%s", r.out.String(), r.err.String())
	}
}

// run runs gantryctl with args and returns stdout, stderr and exit code.
func (c *opsCluster) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	r := c.start(context.Background(), args...)
	r.wait(t)
	return r.out.String(), r.err.String(), r.code
}

// mustRun runs gantryctl and fails the test unless it exits 0 printing
// exactly want.
func (c *opsCluster) mustRun(t *testing.T, want string, args ...string) {
	t.Helper()
	out, errOut, code := c.run(t, args...)
	if code != 0 || out != want {
		t.Fatalf("gantryctl %s: exit %d\nstdout %q\nwant   %q\nstderr %q", strings.Join(args, " "), code, out, want, errOut)
	}
}

// mustFail runs gantryctl and fails the test unless it exits 1 with an
// error line containing every one of wants.
func (c *opsCluster) mustFail(t *testing.T, args []string, wants ...string) string {
	t.Helper()
	out, errOut, code := c.run(t, args...)
	if code != 1 {
		t.Fatalf("gantryctl %s: exit %d, want 1\nstdout %q\nstderr %q", strings.Join(args, " "), code, out, errOut)
	}
	for _, w := range wants {
		if !strings.Contains(errOut, w) {
			t.Fatalf("gantryctl %s: stderr %q does not say %q", strings.Join(args, " "), errOut, w)
		}
	}
	return out
}

func (c *opsCluster) create(t *testing.T, m proto.Message) *gantryv1.Object {
	t.Helper()
	obj, err := c.cl.Create(context.Background(), apimeta.Wrap(m))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// get reads an object; nil when it does not exist.
func (c *opsCluster) get(t *testing.T, kind, namespace, name string) *gantryv1.Object {
	t.Helper()
	obj, err := c.cl.Get(context.Background(), kind, namespace, name)
	if statusIs(err, codes.NotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func (c *opsCluster) deployment(t *testing.T, name string) *gantryv1.Deployment {
	t.Helper()
	return c.get(t, apimeta.KindDeployment, "default", name).GetDeployment()
}

// setDeploymentStatus writes st as the Deployment controller would.
func (c *opsCluster) setDeploymentStatus(t *testing.T, name string, st *gantryv1.DeploymentStatus) {
	t.Helper()
	d := c.deployment(t, name)
	d.Status = st
	d.Metadata.ResourceVersion = ""
	if _, err := c.cl.UpdateStatus(context.Background(), apimeta.Wrap(d)); err != nil {
		t.Fatal(err)
	}
}

func opsInt32(v int32) *int32 { return &v }

func opsTemplate(app, image string) *gantryv1.PodTemplateSpec {
	return &gantryv1.PodTemplateSpec{
		Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: image}}},
	}
}

func opsDeployment(name string, replicas int32, image string) *gantryv1.Deployment {
	return &gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &gantryv1.DeploymentSpec{
			Replicas: opsInt32(replicas),
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: opsTemplate(name, image),
		},
	}
}
