package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// env is a three-master cluster with a controller manager in process.
type env struct {
	t   *testing.T
	api *ctrl.APIClient
	m   *Manager
}

func newEnv(t *testing.T) *env {
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
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", testutil.FreeAddr(t)
	cfg.Election.Identity = "test-manager"
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

func (e *env) list(kind string) []*gantryv1.Object {
	e.t.Helper()
	resp, err := e.api.ListAll(context.Background(), &gantryv1.ListRequest{Kind: kind, Namespace: "default"})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetItems()
}

func (e *env) deployment(name string) *gantryv1.Deployment {
	e.t.Helper()
	o, err := e.api.Get(context.Background(), apimeta.KindDeployment, "default", name)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.GetDeployment()
}

// markReady keeps making every active pod Ready, as a node agent would,
// until ctx ends.
func (e *env) markReady(ctx context.Context) {
	for ctx.Err() == nil {
		resp, err := e.api.ListAll(ctx, &gantryv1.ListRequest{Kind: apimeta.KindPod, Namespace: "default"})
		if err != nil {
			continue
		}
		for _, o := range resp.GetItems() {
			p := o.GetPod()
			if ctrl.IsPodReady(p) || !ctrl.IsPodActive(p) {
				continue
			}
			p.Status = &gantryv1.PodStatus{Phase: "Running", Conditions: []*gantryv1.Condition{
				{Type: "Ready", Status: "True", LastTransitionTime: timestamppb.Now()}}}
			p.Metadata.ResourceVersion = ""
			_, _ = e.api.UpdateStatus(ctx, apimeta.Wrap(p))
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func newDeployment(name string, replicas int32, image string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &gantryv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: &gantryv1.PodTemplateSpec{
				Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: image, Command: []string{"/bin/sleep", "1000"}}}},
			},
		},
	})
}

func TestDeploymentLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d, err := e.api.Create(ctx, newDeployment("web", 3, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	dUID := ctrl.Meta(d).GetUid()

	// A ReplicaSet and 3 pods appear, with correct owner references.
	var rsObj *gantryv1.Object
	testutil.Eventually(t, 20*time.Second, func() error {
		rss := e.list(apimeta.KindReplicaSet)
		if len(rss) != 1 {
			return fmt.Errorf("%d ReplicaSets", len(rss))
		}
		rsObj = rss[0]
		if pods := e.list(apimeta.KindPod); len(pods) != 3 {
			return fmt.Errorf("%d pods", len(pods))
		}
		return nil
	})
	ref := ctrl.ControllerRef(ctrl.Meta(rsObj))
	if ref.GetKind() != "Deployment" || ref.GetApiVersion() != "apps/v1" || ref.GetName() != "web" || ref.GetUid() != dUID ||
		!ref.GetController() || !ref.GetBlockOwnerDeletion() {
		t.Fatalf("ReplicaSet owner reference %v", ref)
	}
	for _, p := range e.list(apimeta.KindPod) {
		r := ctrl.ControllerRef(ctrl.Meta(p))
		if r.GetKind() != "ReplicaSet" || r.GetUid() != ctrl.Meta(rsObj).GetUid() || !r.GetController() || !r.GetBlockOwnerDeletion() ||
			!strings.HasPrefix(ctrl.Meta(p).GetName(), ctrl.Meta(rsObj).GetName()+"-") {
			t.Fatalf("pod %s owner reference %v", ctrl.Meta(p).GetName(), r)
		}
	}

	// Pods become Ready: the Deployment reports 3 available.
	rctx, stopReady := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { e.markReady(rctx) })
	defer func() { stopReady(); wg.Wait() }()
	testutil.Eventually(t, 20*time.Second, func() error {
		st := e.deployment("web").GetStatus()
		if st.GetAvailableReplicas() != 3 || st.GetReadyReplicas() != 3 || st.GetUpdatedReplicas() != 3 {
			return fmt.Errorf("status %v", st)
		}
		return nil
	})

	// A new template rolls out within maxSurge 1 (25% of 3, rounded up)
	// and maxUnavailable 0 (rounded down).
	// The controller writes the Deployment's status as pods change, so the
	// update can race it (ABORTED): re-read and retry, as a user would.
	testutil.RetryAborted(t, 20*time.Second, func() error {
		cur := e.deployment("web")
		cur.Spec.Template.Spec.Containers[0].Image = "v2"
		_, err := e.api.Update(ctx, apimeta.Wrap(cur))
		return err
	})
	e.watchRollout(t, "web", 4, 3)

	rss := e.list(apimeta.KindReplicaSet)
	if len(rss) != 2 {
		t.Fatalf("%d ReplicaSets after the rollout, want 2", len(rss))
	}
	for _, o := range rss {
		rs := o.GetReplicaSet()
		isNew := deployutil.EqualIgnoreHash(rs.GetSpec().GetTemplate(), e.deployment("web").GetSpec().GetTemplate())
		if want := map[bool]int32{true: 3, false: 0}[isNew]; rs.GetSpec().GetReplicas() != want {
			t.Fatalf("ReplicaSet %s (new %v) has %d replicas", rs.GetMetadata().GetName(), isNew, rs.GetSpec().GetReplicas())
		}
	}

	// Deleting the Deployment collects its ReplicaSets and pods.
	if _, err := e.api.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindDeployment, Namespace: "default", Name: "web"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() error {
		if n, p := len(e.list(apimeta.KindReplicaSet)), len(e.list(apimeta.KindPod)); n+p > 0 {
			return fmt.Errorf("%d ReplicaSets and %d pods left", n, p)
		}
		return nil
	})
	e.checkStatusService(t)
}

// watchRollout polls the pods until the rollout is complete, failing when
// active pods exceed maxPods or ready pods drop below minReady.
func (e *env) watchRollout(t *testing.T, name string, maxPods, minReady int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		active, ready := 0, 0
		for _, o := range e.list(apimeta.KindPod) {
			p := o.GetPod()
			if !ctrl.IsPodActive(p) {
				continue
			}
			active++
			if ctrl.IsPodReady(p) {
				ready++
			}
		}
		if active > maxPods || ready < minReady {
			t.Fatalf("during the rollout: %d active pods (max %d), %d ready (min %d)", active, maxPods, ready, minReady)
		}
		d := e.deployment(name)
		st := d.GetStatus()
		if st.GetObservedGeneration() == d.GetMetadata().GetGeneration() && st.GetUpdatedReplicas() == 3 &&
			st.GetAvailableReplicas() == 3 && st.GetReplicas() == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout not complete: status %v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) checkStatusService(t *testing.T) {
	conn, err := grpc.NewClient(e.m.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st, err := gantryv1.NewControllerServiceClient(conn).Status(context.Background(), &gantryv1.ControllerServiceStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !st.GetLeading() || st.GetIdentity() != "test-manager" || len(st.GetControllers()) != len(AllControllers) {
		t.Fatalf("Status = %v", st)
	}
	for _, c := range st.GetControllers() {
		if (c.GetName() == "replicaset" || c.GetName() == "deployment" || c.GetName() == "garbagecollector") && c.GetReconcilesTotal() == 0 {
			t.Fatalf("controller %s never reconciled: %v", c.GetName(), c)
		}
	}
	resp, err := http.Get("http://" + e.m.cfg.HTTPListen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `gantry_controller_reconciles_total{controller="replicaset"}`) ||
		!strings.Contains(string(body), "gantry_controller_leading 1") ||
		!strings.Contains(string(body), "gantry_node_lifecycle_evictions_stopped 0") {
		t.Fatalf("metrics lack the controller series:\n%.2000s", body)
	}
}

func TestNodeIPAMAndForegroundDeletion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, n := range []string{"n1", "n2", "n3"} {
		if _, err := e.api.Create(ctx, apimeta.Wrap(&gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: n}})); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 20*time.Second, func() error {
		resp, err := e.api.ListAll(ctx, &gantryv1.ListRequest{Kind: apimeta.KindNode})
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, o := range resp.GetItems() {
			c := o.GetNode().GetSpec().GetPodCidr()
			if c == "" || seen[c] || !strings.HasPrefix(c, "10.244.") || !strings.HasSuffix(c, "/24") {
				return fmt.Errorf("node %s pod CIDR %q", o.GetNode().GetMetadata().GetName(), c)
			}
			seen[c] = true
		}
		if len(seen) != 3 {
			return fmt.Errorf("%d nodes with CIDRs", len(seen))
		}
		return nil
	})

	if _, err := e.api.Create(ctx, newDeployment("fg", 2, "v1")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() error {
		if n := len(e.list(apimeta.KindPod)); n != 2 {
			return fmt.Errorf("%d pods", n)
		}
		return nil
	})
	if _, err := e.api.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindDeployment, Namespace: "default", Name: "fg", PropagationPolicy: "Foreground"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() error {
		_, err := e.api.Get(ctx, apimeta.KindDeployment, "default", "fg")
		if !ctrl.IsNotFound(err) {
			return fmt.Errorf("Deployment still there (%v)", err)
		}
		if n, p := len(e.list(apimeta.KindReplicaSet)), len(e.list(apimeta.KindPod)); n+p > 0 {
			return fmt.Errorf("%d ReplicaSets and %d pods left", n, p)
		}
		return nil
	})

	// Orphan: the ReplicaSet stays, without its owner reference.
	if _, err := e.api.Create(ctx, newDeployment("keep", 1, "v1")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() error {
		if n := len(e.list(apimeta.KindPod)); n != 1 {
			return fmt.Errorf("%d pods", n)
		}
		return nil
	})
	if _, err := e.api.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindDeployment, Namespace: "default", Name: "keep", PropagationPolicy: "Orphan"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() error {
		if _, err := e.api.Get(ctx, apimeta.KindDeployment, "default", "keep"); !ctrl.IsNotFound(err) {
			return fmt.Errorf("Deployment still there (%v)", err)
		}
		rss := e.list(apimeta.KindReplicaSet)
		if len(rss) != 1 || len(ctrl.Meta(rss[0]).GetOwnerReferences()) != 0 {
			return fmt.Errorf("ReplicaSets %v, want one orphan", rss)
		}
		if n := len(e.list(apimeta.KindPod)); n != 1 {
			return fmt.Errorf("%d pods, want the orphaned ReplicaSet's 1", n)
		}
		return nil
	})
}
