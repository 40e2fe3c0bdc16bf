package ctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/controller"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

func configMap(ns, name string, labels map[string]string, finalizers ...string) *gantryv1.ConfigMap {
	return &gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Finalizers: finalizers}}
}

func (c *opsCluster) configMapNames(t *testing.T, ns string) []string {
	t.Helper()
	list, err := c.cl.ListAll(context.Background(), &gantryv1.ListRequest{Kind: apimeta.KindConfigMap, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range list.GetItems() {
		out = append(out, apimeta.Meta(it).GetName())
	}
	return out
}

func TestDelete(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()
	c.create(t, &gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "prod"}})
	for _, n := range []string{"a", "b", "c", "d"} {
		c.create(t, configMap("default", n, nil))
	}
	c.create(t, configMap("default", "x1", map[string]string{"app": "x"}))
	c.create(t, configMap("default", "x2", map[string]string{"app": "x"}))
	c.create(t, configMap("default", "y1", map[string]string{"app": "y"}))
	c.create(t, configMap("prod", "p1", nil))
	c.create(t, configMap("prod", "p2", nil))
	c.create(t, opsDeployment("web", 1, "v1"))
	c.create(t, opsNode("n1"))

	t.Run("by name", func(t *testing.T) {
		c.mustRun(t, "deployment/web deleted\n", "delete", "deploy", "web")
		if c.get(t, apimeta.KindDeployment, "default", "web") != nil {
			t.Fatal("deployment web still there")
		}
		c.mustRun(t, "configmap/a deleted\nconfigmap/b deleted\n", "delete", "cm", "a", "b")
		c.mustRun(t, "configmap/c deleted\n", "delete", "configmaps/c")
		c.mustRun(t, "node/n1 deleted\n", "delete", "no/n1")
		if got := c.configMapNames(t, "default"); !slices.Equal(got, []string{"d", "x1", "x2", "y1"}) {
			t.Fatalf("configmaps left %v", got)
		}
	})
	t.Run("not found", func(t *testing.T) {
		out := c.mustFail(t, []string{"delete", "cm", "nope"}, "error: configmap/nope: not found")
		if out != "" {
			t.Fatalf("stdout %q", out)
		}
		// The others are still deleted; one line per missing object.
		out, errOut, code := c.run(t, "delete", "cm", "nope", "d", "gone")
		if code != 1 || out != "configmap/d deleted\n" || strings.Count(errOut, "\n") != 2 {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		c.mustRun(t, "", "delete", "cm", "nope", "--ignore-not-found")
		c.mustRun(t, "", "delete", "cm/nope", "deploy/nope", "--ignore-not-found")
	})
	t.Run("label selector", func(t *testing.T) {
		c.mustRun(t, "configmap/x1 deleted\nconfigmap/x2 deleted\n", "delete", "cm", "-l", "app=x")
		if got := c.configMapNames(t, "default"); !slices.Equal(got, []string{"y1"}) {
			t.Fatalf("configmaps left %v", got)
		}
		out, errOut, code := c.run(t, "delete", "cm", "-l", "app=nothing")
		if code != 0 || out != "" || errOut != "No resources found\n" {
			t.Fatalf("-l matching nothing: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("all", func(t *testing.T) {
		c.mustRun(t, "configmap/p1 deleted\nconfigmap/p2 deleted\n", "delete", "cm", "--all", "-n", "prod")
		if got := c.configMapNames(t, "default"); !slices.Equal(got, []string{"y1"}) {
			t.Fatalf("--all -n prod touched default: %v", got)
		}
	})
	t.Run("file", func(t *testing.T) {
		c.create(t, configMap("default", "f1", nil))
		c.create(t, configMap("prod", "f2", nil))
		c.create(t, opsDeployment("fweb", 1, "v1"))
		f := writeManifest(t, dir, "objs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f1\n---\n"+
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f2\n  namespace: prod\n---\n"+webManifest("fweb", 1, nil, ""))
		c.mustRun(t, "configmap/f1 deleted\nconfigmap/f2 deleted\ndeployment/fweb deleted\n", "delete", "-f", f)
		if c.get(t, apimeta.KindConfigMap, "prod", "f2") != nil || c.get(t, apimeta.KindDeployment, "default", "fweb") != nil {
			t.Fatal("objects of the file still there")
		}
		out, errOut, code := c.run(t, "delete", "-f", f)
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 3 || !strings.Contains(errOut, "error: configmap/f2: not found") {
			t.Fatalf("again: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		c.mustRun(t, "", "delete", "-f", f, "--ignore-not-found")
		// Unknown fields do not stop a delete: the object is named.
		lenient := writeManifest(t, dir, "lenient.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y1\nbogus: 1\n")
		out, errOut, code = c.run(t, "delete", "-f", lenient)
		if code != 0 || out != "configmap/y1 deleted\n" || errOut != "" {
			t.Fatalf("delete -f with an unknown field: exit %d, stdout %q, stderr %q; want no warnings", code, out, errOut)
		}
	})
	t.Run("file namespace mismatch", func(t *testing.T) {
		c.create(t, configMap("default", "m", nil))
		c.create(t, configMap("prod", "m", nil))
		f := writeManifest(t, dir, "m.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  namespace: prod\n")
		c.mustFail(t, []string{"delete", "-f", f, "-n", "default"}, f+": document 1", `namespace "prod" does not match --namespace "default"`)
		if c.get(t, apimeta.KindConfigMap, "default", "m") == nil || c.get(t, apimeta.KindConfigMap, "prod", "m") == nil {
			t.Fatal("deleted despite the namespace mismatch")
		}
		c.mustRun(t, "configmap/m deleted\n", "delete", "-f", f, "-n", "prod")
		noName := writeManifest(t, dir, "noname.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n")
		c.mustFail(t, []string{"delete", "-f", noName}, noName+": document 1", "metadata.name: required")
	})
	t.Run("refused", func(t *testing.T) {
		out, errOut, code := c.run(t, "delete", "ns", "default")
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "error: namespace/default: ") || !strings.Contains(errOut, "may not be deleted") {
			t.Fatalf("delete ns default: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		c.mustFail(t, []string{"delete", "cm"}, "name the objects to delete, or use -l SELECTOR or --all")
		c.mustFail(t, []string{"delete", "cm", "d", "-l", "a=b"}, "names cannot be combined with -l or --all")
		c.mustFail(t, []string{"delete", "cm", "d", "--all"}, "names cannot be combined with -l or --all")
		c.mustFail(t, []string{"delete", "cm", "d", "-f", "x.yaml"}, "give either -f or TYPE NAME, not both")
		c.mustFail(t, []string{"delete", "cm", "d", "--cascade=sometimes"}, `--cascade: "sometimes" is not one of background, foreground, orphan`)
		c.mustFail(t, []string{"delete", "widgets", "w"}, `resource type "widgets"`)
		c.mustFail(t, []string{"delete"}, "a resource type is required")
	})
}

// TestDeleteWaits: delete waits until the object is gone, which an object
// with a finalizer is only once the finalizer is removed.
func TestDeleteWaits(t *testing.T) {
	c := newOpsCluster(t)
	ctx := context.Background()
	c.create(t, configMap("default", "held", nil, "example.com/hold"))

	r := c.start(ctx, "delete", "cm", "held")
	waitOutput(t, r, "configmap/held deleted\n")
	testutil.Eventually(t, 10*time.Second, func() error {
		if c.get(t, apimeta.KindConfigMap, "default", "held").GetConfigMap().GetMetadata().GetDeletionTimestamp() == nil {
			return errors.New("no deletion timestamp yet")
		}
		return nil
	})
	select {
	case <-r.done:
		t.Fatalf("delete returned (exit %d) while the finalizer holds the object", r.code)
	default:
	}
	cm := c.get(t, apimeta.KindConfigMap, "default", "held")
	cm.GetConfigMap().Metadata.Finalizers = nil
	if _, err := c.cl.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	if r.code != 0 || r.out.String() != "configmap/held deleted\n" || c.get(t, apimeta.KindConfigMap, "default", "held") != nil {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.out.String(), r.err.String())
	}

	// --wait=false returns at once; --timeout bounds the wait.
	c.create(t, configMap("default", "held2", nil, "example.com/hold"))
	c.mustRun(t, "configmap/held2 deleted\n", "delete", "cm", "held2", "--wait=false")
	if c.get(t, apimeta.KindConfigMap, "default", "held2") == nil {
		t.Fatal("held2 gone despite its finalizer")
	}
	c.create(t, configMap("default", "held3", nil, "example.com/hold"))
	out := c.mustFail(t, []string{"delete", "cm", "held3", "--timeout=300ms"}, "error: configmap/held3: still there after 300ms")
	if out != "configmap/held3 deleted\n" {
		t.Fatalf("stdout %q", out)
	}
}

// TestDeleteCascadeFinalizers: the cascade policy reaches the server: an
// orphaning or foreground delete leaves the object with the finalizer the
// garbage collector acts on (none runs here, so it stays).
func TestDeleteCascadeFinalizers(t *testing.T) {
	c := newOpsCluster(t)
	for policy, finalizer := range map[string]string{"orphan": "orphan", "foreground": "foregroundDeletion", "background": "", "false": "orphan", "true": ""} {
		name := "d-" + policy
		c.create(t, configMap("default", name, nil, "example.com/hold"))
		c.mustRun(t, "configmap/"+name+" deleted\n", "delete", "cm", name, "--cascade="+policy, "--wait=false")
		m := c.get(t, apimeta.KindConfigMap, "default", name).GetConfigMap().GetMetadata()
		want := []string{"example.com/hold"}
		if finalizer != "" {
			want = append(want, finalizer)
		}
		if got := m.GetFinalizers(); m.GetDeletionTimestamp() == nil || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Errorf("--cascade=%s: finalizers %v (deleting %v), want %v", policy, got, m.GetDeletionTimestamp() != nil, want)
		}
	}
}

// startGC runs a controller manager with only the garbage collector.
func startGC(t *testing.T, c *opsCluster) {
	t.Helper()
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	cfg := controller.DefaultConfig()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", ""
	cfg.Election.Identity = "ctl-test-gc"
	cfg.Controllers = []string{controller.GarbageCollector}
	cfg.GC.UnobservedOwnerDelay = 100 * time.Millisecond
	m, err := controller.New(cfg, controller.Deps{Client: ctrl.NewAPIClient(c.cl)}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller manager: %v", err)
		}
	})
	testutil.Eventually(t, 20*time.Second, func() error {
		if !m.Leading() {
			return errors.New("the garbage collector is not leading yet")
		}
		return nil
	})
}

// ownedReplicaSet is a ReplicaSet controlled by the Deployment.
func ownedReplicaSet(name string, owner *gantryv1.Object) *gantryv1.ReplicaSet {
	yes := true
	d := owner.GetDeployment()
	return &gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": d.GetMetadata().GetName()},
			OwnerReferences: []*gantryv1.OwnerReference{{ApiVersion: "apps/v1", Kind: "Deployment", Name: d.GetMetadata().GetName(),
				Uid: d.GetMetadata().GetUid(), Controller: &yes, BlockOwnerDeletion: &yes}}},
		Spec: &gantryv1.ReplicaSetSpec{Replicas: opsInt32(0), Selector: d.GetSpec().GetSelector(), Template: d.GetSpec().GetTemplate()},
	}
}

// TestDeleteCascadeWithGC: with the garbage collector running, an
// orphaning delete leaves the owned ReplicaSet (without its owner
// reference), a background delete takes it along, and a foreground delete
// returns only once it is gone.
func TestDeleteCascadeWithGC(t *testing.T) {
	c := newOpsCluster(t)
	startGC(t, c)
	// ownedRS creates a ReplicaSet owned by the deployment and waits until
	// the collector has it in its graph: a second owner reference, to an
	// owner that does not exist, is dropped by the collector once it sees
	// the ReplicaSet. Otherwise the delete could outrun the collector's
	// informer and the dependent be handled as it were created later.
	ownedRS := func(name string, owner *gantryv1.Object) {
		rs := ownedReplicaSet(name, owner)
		rs.Metadata.OwnerReferences = append(rs.Metadata.OwnerReferences,
			&gantryv1.OwnerReference{ApiVersion: "v1", Kind: "ConfigMap", Name: "ghost", Uid: "ghost-uid"})
		c.create(t, rs)
		testutil.Eventually(t, 20*time.Second, func() error {
			if refs := c.get(t, apimeta.KindReplicaSet, "default", name).GetReplicaSet().GetMetadata().GetOwnerReferences(); len(refs) != 1 {
				return fmt.Errorf("owner references %v: the collector has not seen %s yet", refs, name)
			}
			return nil
		})
	}
	rsGone := func(name string) func() error {
		return func() error {
			if c.get(t, apimeta.KindReplicaSet, "default", name) != nil {
				return errors.New("replicaset " + name + " still there")
			}
			return nil
		}
	}

	orphan := c.create(t, opsDeployment("orphan", 0, "v1"))
	ownedRS("orphan-rs", orphan)
	c.mustRun(t, "deployment/orphan deleted\n", "delete", "deploy", "orphan", "--cascade=orphan")
	if c.get(t, apimeta.KindDeployment, "default", "orphan") != nil {
		t.Fatal("the deployment is still there after delete waited")
	}
	rs := c.get(t, apimeta.KindReplicaSet, "default", "orphan-rs")
	if rs == nil || len(rs.GetReplicaSet().GetMetadata().GetOwnerReferences()) != 0 {
		t.Fatalf("orphaned replicaset: %v, want it kept without its owner reference", rs.GetReplicaSet().GetMetadata())
	}

	bg := c.create(t, opsDeployment("bg", 0, "v1"))
	ownedRS("bg-rs", bg)
	c.mustRun(t, "deployment/bg deleted\n", "delete", "deploy/bg")
	testutil.Eventually(t, 20*time.Second, rsGone("bg-rs"))

	fg := c.create(t, opsDeployment("fg", 0, "v1"))
	ownedRS("fg-rs", fg)
	c.mustRun(t, "deployment/fg deleted\n", "delete", "deploy/fg", "--cascade=foreground")
	if err := rsGone("fg-rs")(); err != nil {
		t.Fatalf("foreground delete returned with the dependent still there: %v", err)
	}
}
