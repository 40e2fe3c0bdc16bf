package gc

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"go.uber.org/zap/zaptest"
)

// counting counts live reads.
type counting struct {
	*ctrltest.World
	gets atomic.Int64
}

func (c *counting) Get(ctx context.Context, kind, ns, name string) (*gantryv1.Object, error) {
	c.gets.Add(1)
	return c.World.Get(ctx, kind, ns, name)
}

type fixture struct {
	t  *testing.T
	w  *ctrltest.World
	c  *counting
	gc *Collector
}

var kinds = []string{apimeta.KindDeployment, apimeta.KindReplicaSet, apimeta.KindPod, apimeta.KindConfigMap}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	w := ctrltest.NewWorld()
	c := &counting{World: w}
	caches := map[string]ctrl.Cache{}
	for _, k := range kinds {
		caches[k] = w.Cache(k)
	}
	gc, err := New(DefaultConfig(), Deps{Client: c, Caches: caches, Clock: w.Clock}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go gc.batcher.Run(ctx)
	t.Cleanup(func() { cancel(); gc.queue.ShutDown() })
	return &fixture{t: t, w: w, c: c, gc: gc}
}

// settle delivers changes and processes work items until nothing is left,
// stepping the clock past delayed items. It returns the steps taken.
func (f *fixture) settle() {
	f.t.Helper()
	for round := 0; round < 200; round++ {
		f.w.Sync()
		if f.gc.queue.Len() == 0 && f.gc.queue.Waiting() > 0 {
			f.w.Clock.Step(f.gc.cfg.UnobservedOwnerDelay)
			deadline := time.Now().Add(5 * time.Second)
			for f.gc.queue.Len() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		if f.gc.queue.Len() == 0 {
			return
		}
		for f.gc.queue.Len() > 0 {
			item, _ := f.gc.queue.Get()
			if err := f.gc.reconcile(context.Background(), item); err != nil {
				f.t.Fatalf("%s: %v", item, err)
			}
			f.gc.queue.Done(item)
		}
	}
	f.t.Fatal("the collector did not settle")
}

func ref(owner *gantryv1.Object, block bool) *gantryv1.OwnerReference {
	r := ctrl.NewControllerRef(ctrl.Meta(owner), apimeta.KindOf(owner))
	r.BlockOwnerDeletion = &block
	return r
}

func deployment(name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Deployment{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"}})
}

func rs(name string, owners ...*gantryv1.OwnerReference) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ReplicaSet{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", OwnerReferences: owners}})
}

func pod(name string, owners ...*gantryv1.OwnerReference) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", OwnerReferences: owners},
		Spec: &gantryv1.PodSpec{}})
}

// tree seeds Deployment web -> ReplicaSet web-1 -> pods p0..p(n-1).
func (f *fixture) tree(n int) (d, r *gantryv1.Object) {
	d = f.w.Seed(deployment("web"))[0]
	r = f.w.Seed(rs("web-1", ref(d, true)))[0]
	for i := 0; i < n; i++ {
		f.w.Seed(pod("p"+string(rune('a'+i)), ref(r, true)))
	}
	f.settle()
	return d, r
}

func (f *fixture) count(kind string) int { return len(f.w.Objects(kind)) }

func (f *fixture) delete(kind, name, policy string) {
	f.t.Helper()
	if _, err := f.w.Delete(context.Background(), ctrl.DeleteRequest(kind, "default", name, "", policy)); err != nil {
		f.t.Fatal(err)
	}
}

func TestBackgroundDeletionCollectsTheTree(t *testing.T) {
	f := newFixture(t)
	f.tree(5)
	if f.w.Count("delete", apimeta.KindPod) != 0 || f.c.gets.Load() != 0 {
		t.Fatal("the collector acted on a healthy tree")
	}
	f.delete(apimeta.KindDeployment, "web", "")
	f.settle()
	if f.count(apimeta.KindReplicaSet) != 0 || f.count(apimeta.KindPod) != 0 {
		t.Fatalf("left %d ReplicaSets and %d pods", f.count(apimeta.KindReplicaSet), f.count(apimeta.KindPod))
	}
	// The owners' delete events were seen: no live reads were needed.
	if g := f.c.gets.Load(); g != 0 {
		t.Fatalf("%d live reads, want 0", g)
	}
	if f.w.Batches() == 0 {
		t.Fatal("deletes did not go through Batch")
	}
}

func TestDependentOfMissingOwnerIsDeletedAfterALiveRead(t *testing.T) {
	f := newFixture(t)
	ghost := deployment("ghost")
	apimeta.Meta(ghost).Uid = "uid-never-existed"
	f.w.Seed(rs("stray", ref(ghost, true)), rs("stray2", ref(ghost, true)))
	f.settle()
	if f.count(apimeta.KindReplicaSet) != 0 {
		t.Fatal("dependents of a missing owner survived")
	}
	if g := f.c.gets.Load(); g != 1 {
		t.Fatalf("%d live reads for two dependents of one absent owner, want 1", g)
	}
}

func TestOwnerTheCacheHasNotSeenIsReadLiveAndKept(t *testing.T) {
	f := newFixture(t)
	// The owner exists in the API but the collector's cache lags (it is
	// delivered only after the dependent was checked).
	d := f.w.Seed(deployment("web"))[0]
	f.gc.mu.Lock()
	f.gc.graph.remove(ctrl.Meta(d).GetUid())
	f.gc.mu.Unlock()
	f.w.Seed(rs("web-1", ref(d, true)))
	f.gc.mu.Lock()
	f.gc.graph.remove(ctrl.Meta(d).GetUid()) // still unseen
	f.gc.mu.Unlock()
	f.settle()
	if f.count(apimeta.KindReplicaSet) != 1 {
		t.Fatal("a dependent of a live owner was deleted")
	}
	if f.c.gets.Load() == 0 {
		t.Fatal("the unseen owner was not read live")
	}
}

func TestReplacedOwnerCountsAsGone(t *testing.T) {
	f := newFixture(t)
	old := deployment("web")
	apimeta.Meta(old).Uid = "uid-old"
	f.w.Seed(deployment("web")) // same name, new uid
	f.w.Seed(rs("web-1", ref(old, true)))
	f.settle()
	if f.count(apimeta.KindReplicaSet) != 0 {
		t.Fatal("a dependent of a replaced owner survived")
	}
}

func TestDanglingReferenceIsRemovedWhenAnotherOwnerLives(t *testing.T) {
	f := newFixture(t)
	a := f.w.Seed(deployment("a"))[0]
	b := f.w.Seed(deployment("b"))[0]
	ra := ref(a, true)
	rb := ref(b, false)
	rb.Controller = nil
	f.w.Seed(apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: "shared", Namespace: "default",
		OwnerReferences: []*gantryv1.OwnerReference{ra, rb}}}))
	f.settle()
	f.delete(apimeta.KindDeployment, "a", "")
	f.settle()
	cm := f.w.Object(apimeta.KindConfigMap, "default", "shared")
	if cm == nil {
		t.Fatal("an object with a live owner was deleted")
	}
	if refs := ctrl.Meta(cm).GetOwnerReferences(); len(refs) != 1 || refs[0].GetName() != "b" {
		t.Fatalf("owner references %v, want only b", refs)
	}
}

func TestOrphanKeepsDependents(t *testing.T) {
	f := newFixture(t)
	f.tree(3)
	f.delete(apimeta.KindDeployment, "web", "Orphan")
	f.settle()
	if f.w.Object(apimeta.KindDeployment, "default", "web") != nil {
		t.Fatal("the Deployment is still there: orphan finalizer not removed")
	}
	r := f.w.Object(apimeta.KindReplicaSet, "default", "web-1")
	if r == nil || len(ctrl.Meta(r).GetOwnerReferences()) != 0 {
		t.Fatalf("ReplicaSet %v: want it kept without owner references", r)
	}
	if f.count(apimeta.KindPod) != 3 {
		t.Fatalf("%d pods, want 3 (they still belong to the ReplicaSet)", f.count(apimeta.KindPod))
	}
	for _, p := range f.w.Objects(apimeta.KindPod) {
		if len(ctrl.Meta(p).GetOwnerReferences()) != 1 {
			t.Fatal("orphaning the Deployment touched the pods' references")
		}
	}
}

func TestForegroundDeletesDependentsFirst(t *testing.T) {
	f := newFixture(t)
	f.tree(4)
	f.w.GracefulPods = true
	for _, p := range f.w.Objects(apimeta.KindPod) {
		f.w.Mutate(apimeta.KindPod, "default", ctrl.Meta(p).GetName(), func(o *gantryv1.Object) { o.GetPod().Spec.NodeName = "n1" })
	}
	f.settle()
	f.delete(apimeta.KindDeployment, "web", "Foreground")
	f.settle()
	// Pods are terminating (their node agent has not finished): the
	// ReplicaSet and the Deployment wait, marked for deletion.
	d := f.w.Object(apimeta.KindDeployment, "default", "web")
	r := f.w.Object(apimeta.KindReplicaSet, "default", "web-1")
	if d == nil || r == nil {
		t.Fatal("an owner went before its dependents")
	}
	if !ctrl.HasFinalizer(ctrl.Meta(r), FinalizerForeground) || ctrl.Meta(r).GetDeletionTimestamp() == nil {
		t.Fatalf("ReplicaSet not deleted in foreground: %v", ctrl.Meta(r))
	}
	for _, p := range f.w.Objects(apimeta.KindPod) {
		if ctrl.Meta(p).GetDeletionTimestamp() == nil {
			t.Fatalf("pod %s not being deleted", ctrl.Meta(p).GetName())
		}
	}
	for i, p := range f.w.Objects(apimeta.KindPod) {
		f.w.FinishPodDeletion("default", ctrl.Meta(p).GetName())
		f.settle()
		if i < 3 && f.w.Object(apimeta.KindReplicaSet, "default", "web-1") == nil {
			t.Fatal("the ReplicaSet went while pods remained")
		}
	}
	if f.count(apimeta.KindReplicaSet) != 0 || f.count(apimeta.KindDeployment) != 0 {
		t.Fatalf("left %d ReplicaSets, %d Deployments", f.count(apimeta.KindReplicaSet), f.count(apimeta.KindDeployment))
	}
}

func TestForegroundWithoutBlockingDependentsFinishesAtOnce(t *testing.T) {
	f := newFixture(t)
	d := f.w.Seed(deployment("web"))[0]
	f.w.Seed(rs("loose", ref(d, false)))
	f.settle()
	f.delete(apimeta.KindDeployment, "web", "Foreground")
	f.settle()
	if f.count(apimeta.KindDeployment) != 0 || f.count(apimeta.KindReplicaSet) != 0 {
		t.Fatalf("left %d Deployments and %d ReplicaSets", f.count(apimeta.KindDeployment), f.count(apimeta.KindReplicaSet))
	}
}

func TestGraphBookkeeping(t *testing.T) {
	f := newFixture(t)
	f.tree(2)
	if n := f.gc.nodes(); n != 4 {
		t.Fatalf("%d nodes, want 4", n)
	}
	f.delete(apimeta.KindDeployment, "web", "")
	f.settle()
	if n := f.gc.nodes(); n != 0 {
		t.Fatalf("%d nodes left after everything went, want 0", n)
	}
}
