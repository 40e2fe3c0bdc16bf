package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/endpointslice"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// newSliceEnv is a three-master cluster with a controller manager running
// the endpoint-slice controller and the garbage collector only (no node
// lifecycle: the test's nodes have no agents).
func newSliceEnv(t *testing.T) *env {
	t.Helper()
	cl := testutil.NewCluster(t, 3)
	var servers []string
	for _, m := range cl.Members {
		servers = append(servers, m.Cfg.Listen)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	ccfg := client.DefaultConfig()
	ccfg.Servers = servers
	c, err := client.New(ccfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	api := ctrl.NewAPIClient(c)
	cfg := DefaultConfig()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", ""
	cfg.Election.Identity = "slice-test"
	cfg.Controllers = []string{EndpointSlice, GarbageCollector}
	m, err := New(cfg, Deps{Client: api}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	testutil.Eventually(t, 20*time.Second, func() error {
		if !m.Leading() {
			return errors.New("not leading yet")
		}
		return nil
	})
	return &env{t: t, api: api, m: m}
}

// sliceReconciles returns how many reconciles the endpoint-slice
// controller finished.
func (e *env) sliceReconciles() int64 {
	for _, c := range e.m.Status().GetControllers() {
		if c.GetName() == EndpointSlice {
			return c.GetReconcilesTotal()
		}
	}
	return 0
}

func slicePod(i int) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: fmt.Sprintf("web-%03d", i), Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: &gantryv1.PodSpec{NodeName: fmt.Sprintf("n%d", i%3+1), Containers: []*gantryv1.Container{{
			Name: "c", Image: "img", Ports: []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		}}},
	})
}

// batch applies ops and fails the test on any error.
func (e *env) batch(ops []*gantryv1.BatchOp) {
	e.t.Helper()
	for _, r := range ctrl.RunBatch(context.Background(), e.api, ops, 500, 1) {
		if r.Err != nil {
			e.t.Fatal(r.Err)
		}
	}
}

// createPods creates pods web-<from>..web-<to-1>, running and ready on
// their nodes, as a node agent would report them.
func (e *env) createPods(from, to int) {
	e.t.Helper()
	var creates, statuses []*gantryv1.BatchOp
	for i := from; i < to; i++ {
		creates = append(creates, ctrl.CreateOp(slicePod(i)))
	}
	e.batch(creates)
	for i := from; i < to; i++ {
		statuses = append(statuses, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_UpdateStatus{UpdateStatus: podStatus(i, true)}})
	}
	e.batch(statuses)
}

func podStatus(i int, ready bool) *gantryv1.Object {
	p := slicePod(i).GetPod()
	r := "False"
	if ready {
		r = "True"
	}
	p.Status = &gantryv1.PodStatus{Phase: "Running", PodIp: fmt.Sprintf("10.244.%d.%d", i/200, i%200+2),
		Conditions: []*gantryv1.Condition{{Type: "Ready", Status: r}}}
	return apimeta.Wrap(p)
}

// endpoints lists the Service's slices and returns pod name -> conditions,
// failing the check when a pod is in two slices.
func (e *env) endpoints(svc string) (map[string]*gantryv1.EndpointConditions, []*gantryv1.EndpointSlice, error) {
	resp, err := e.api.ListAll(context.Background(), &gantryv1.ListRequest{Kind: apimeta.KindEndpointSlice, Namespace: "default",
		LabelSelector: endpointslice.LabelServiceName + "=" + svc})
	if err != nil {
		return nil, nil, err
	}
	out := map[string]*gantryv1.EndpointConditions{}
	var ss []*gantryv1.EndpointSlice
	for _, o := range resp.GetItems() {
		s := o.GetEndpointSlice()
		ss = append(ss, s)
		for _, ep := range s.GetEndpoints() {
			n := ep.GetTargetRef().GetName()
			if _, dup := out[n]; dup {
				return nil, nil, fmt.Errorf("%s in two slices", n)
			}
			out[n] = ep.GetConditions()
		}
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].GetMetadata().GetName() < ss[j].GetMetadata().GetName() })
	return out, ss, nil
}

func TestEndpointSlicesFollowPods(t *testing.T) {
	e := newSliceEnv(t)
	ctx := context.Background()
	svc, err := e.api.Create(ctx, apimeta.Wrap(&gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []*gantryv1.ServicePort{{Name: "http", Port: 80, TargetPort: "http"}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	svcUID := ctrl.Meta(svc).GetUid()
	e.createPods(0, 3)

	wait := func(what string, cond func(map[string]*gantryv1.EndpointConditions, []*gantryv1.EndpointSlice) error) {
		t.Helper()
		testutil.Eventually(t, 20*time.Second, func() error {
			eps, ss, err := e.endpoints("web")
			if err != nil {
				return err
			}
			if err := cond(eps, ss); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		})
	}
	wait("three ready endpoints", func(eps map[string]*gantryv1.EndpointConditions, ss []*gantryv1.EndpointSlice) error {
		if len(ss) != 1 || len(eps) != 3 {
			return fmt.Errorf("%d slices, %d endpoints", len(ss), len(eps))
		}
		for n, c := range eps {
			if !c.GetReady() {
				return fmt.Errorf("%s not ready", n)
			}
		}
		s := ss[0]
		if !ctrl.IsControlledBy(s.GetMetadata(), svcUID) || len(s.GetPorts()) != 1 || s.GetPorts()[0].GetPort() != 8080 {
			return fmt.Errorf("slice %v: want owned by the Service, port 8080", s)
		}
		return nil
	})

	// Unready.
	e.batch([]*gantryv1.BatchOp{{Op: &gantryv1.BatchOp_UpdateStatus{UpdateStatus: podStatus(1, false)}}})
	wait("web-001 not ready", func(eps map[string]*gantryv1.EndpointConditions, _ []*gantryv1.EndpointSlice) error {
		if c := eps["web-001"]; c == nil || c.GetReady() || c.GetServing() {
			return fmt.Errorf("web-001: %v", c)
		}
		return nil
	})
	// Terminating: a bound pod waits for its (absent) node agent.
	if _, err := e.api.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: "default", Name: "web-002"}); err != nil {
		t.Fatal(err)
	}
	wait("web-002 terminating", func(eps map[string]*gantryv1.EndpointConditions, _ []*gantryv1.EndpointSlice) error {
		if c := eps["web-002"]; c == nil || c.GetReady() || !c.GetServing() || !c.GetTerminating() {
			return fmt.Errorf("web-002: %v", c)
		}
		return nil
	})
	zero := int64(0)
	if _, err := e.api.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: "default", Name: "web-002", GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	wait("web-002 gone", func(eps map[string]*gantryv1.EndpointConditions, ss []*gantryv1.EndpointSlice) error {
		if _, ok := eps["web-002"]; ok || len(eps) != 2 || len(ss) != 1 {
			return fmt.Errorf("%d slices, endpoints %v", len(ss), eps)
		}
		return nil
	})

	// 148 more: 150 endpoints in two slices; then down to 10 in one.
	e.createPods(3, 150)
	var before []string
	wait("150 endpoints", func(eps map[string]*gantryv1.EndpointConditions, ss []*gantryv1.EndpointSlice) error {
		if len(eps) != 149 || len(ss) != 2 {
			return fmt.Errorf("%d endpoints in %d slices", len(eps), len(ss))
		}
		before = []string{ss[0].GetMetadata().GetName(), ss[1].GetMetadata().GetName()}
		return nil
	})
	var deletes []*gantryv1.BatchOp
	for i := 10; i < 150; i++ {
		deletes = append(deletes, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Delete{Delete: &gantryv1.DeleteRequest{
			Kind: apimeta.KindPod, Namespace: "default", Name: fmt.Sprintf("web-%03d", i), GracePeriodSeconds: &zero}}})
	}
	e.batch(deletes)
	wait("9 endpoints compacted into one of the two slices", func(eps map[string]*gantryv1.EndpointConditions, ss []*gantryv1.EndpointSlice) error {
		if len(eps) != 9 || len(ss) != 1 {
			return fmt.Errorf("%d endpoints in %d slices", len(eps), len(ss))
		}
		if !slices.Contains(before, ss[0].GetMetadata().GetName()) {
			return fmt.Errorf("slice %s, want one of %v kept", ss[0].GetMetadata().GetName(), before)
		}
		return nil
	})
	// Settled: a sync with nothing to change writes nothing. The Service
	// is touched (an annotation slices do not carry) to force one.
	_, ss, _ := e.endpoints("web")
	rv := ss[0].GetMetadata().GetResourceVersion()
	syncs := e.sliceReconciles()
	o, err := e.api.Get(ctx, apimeta.KindService, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	ctrl.Meta(o).Annotations = map[string]string{"touched": "yes"}
	if _, err := e.api.Update(ctx, o); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if n := e.sliceReconciles(); n <= syncs {
			return fmt.Errorf("%d reconciles, waiting for more than %d", n, syncs)
		}
		return nil
	})
	if _, ss, _ := e.endpoints("web"); ss[0].GetMetadata().GetResourceVersion() != rv {
		t.Fatalf("slice rewritten with nothing to change: resource_version %s, was %s", ss[0].GetMetadata().GetResourceVersion(), rv)
	}

	// The Service goes: the garbage collector takes its slices.
	if _, err := e.api.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindService, Namespace: "default", Name: "web"}); err != nil {
		t.Fatal(err)
	}
	wait("no slices", func(_ map[string]*gantryv1.EndpointConditions, ss []*gantryv1.EndpointSlice) error {
		if len(ss) != 0 {
			return fmt.Errorf("%d slices left", len(ss))
		}
		return nil
	})
}
