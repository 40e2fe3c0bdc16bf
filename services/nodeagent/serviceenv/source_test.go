package serviceenv

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
)

// countingLister counts the reads the Source makes past its cache.
type countingLister struct {
	Lister
	n atomic.Int32
}

func (c *countingLister) List(ctx context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	c.n.Add(1)
	return c.Lister.List(ctx, req)
}

func names(vars []*gantryv1.EnvVar) []string {
	var out []string
	for _, v := range vars {
		if n := v.GetName(); len(n) > 13 && n[len(n)-13:] == "_SERVICE_HOST" {
			out = append(out, n+"="+v.GetValue())
		}
	}
	return out
}

// TestSourceVars: a pod sees the Services of its namespace and
// default/kubernetes; without service links only the latter; a pod newer
// than the cache is answered from the API, an older one from the cache.
func TestSourceVars(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	ccfg := client.DefaultConfig()
	for _, m := range c.Members {
		ccfg.Servers = append(ccfg.Servers, m.Cfg.Listen)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	cl, err := client.New(ccfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	ctx := t.Context()
	create := func(o *gantryv1.Object) *gantryv1.Object {
		t.Helper()
		out, err := cl.Create(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	svc := func(ns, name, ip string) *gantryv1.Object {
		return apimeta.Wrap(&gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: ns, Name: name},
			Spec: &gantryv1.ServiceSpec{ClusterIp: ip, Ports: []*gantryv1.ServicePort{{Port: 80}}}})
	}
	create(apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "shop"}}))
	create(svc("default", "kubernetes", "10.96.0.1"))
	create(svc("shop", "cart", "10.96.0.30"))
	create(svc("shop", "db", "None"))
	create(svc("default", "elsewhere", "10.96.0.31"))

	lister := &countingLister{Lister: cl}
	src, err := New(cl, lister, log)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- src.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done })

	pod := func(rv string, links *bool) *gantryv1.Pod {
		return &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "shop", Name: "p", ResourceVersion: rv},
			Spec: &gantryv1.PodSpec{EnableServiceLinks: links}}
	}
	// A Service created just now, then a pod at a later version: whether
	// or not the watch has delivered it, the pod sees it. (The pod's
	// version is far ahead so that no write of the masters' own, such as
	// a member registering its address, lets the cache cover it.)
	late := create(svc("shop", "late", "10.96.0.32"))
	rv, _ := apimeta.ParseResourceVersion(apimeta.Meta(late).GetResourceVersion())
	newer := apimeta.FormatResourceVersion(rv + 1_000_000)
	vars, err := src.Vars(ctx, pod(newer, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CART_SERVICE_HOST=10.96.0.30", "KUBERNETES_SERVICE_HOST=10.96.0.1", "LATE_SERVICE_HOST=10.96.0.32"}
	if got := names(vars); !slices.Equal(got, want) {
		t.Fatalf("pod newer than any Service: %q, want %q", got, want)
	}
	if lister.n.Load() != 1 {
		t.Fatalf("a pod newer than the cache read the API %d times, want once", lister.n.Load())
	}

	// Once the cache is at the pod's version, it answers alone.
	testutil.Eventually(t, 10*time.Second, func() error {
		if !src.covers(apimeta.Meta(late).GetResourceVersion()) {
			return fmt.Errorf("cache at %q, want >= %d", src.inf.LastSyncResourceVersion(), rv)
		}
		return nil
	})
	before := lister.n.Load()
	vars, err = src.Vars(ctx, pod(apimeta.Meta(late).GetResourceVersion(), nil))
	if err != nil || !slices.Equal(names(vars), want) || lister.n.Load() != before {
		t.Fatalf("pod the cache covers: %q, %v, %d API reads (want none)", names(vars), err, lister.n.Load()-before)
	}
	vars, err = src.Vars(ctx, pod(newer, proto.Bool(false)))
	if err != nil || !slices.Equal(names(vars), []string{"KUBERNETES_SERVICE_HOST=10.96.0.1"}) {
		t.Fatalf("enableServiceLinks false: %q, %v", names(vars), err)
	}
}
