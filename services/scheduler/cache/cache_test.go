package cache

import (
	"errors"
	"sync"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/scheduler/framework"
)

func node(name, cpu string) *gantryv1.Node {
	return &gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: name},
		Status: &gantryv1.NodeStatus{
			Allocatable: map[string]string{"cpu": cpu, "memory": "4Gi", "pods": "10"},
			Conditions:  []*gantryv1.Condition{{Type: "Ready", Status: "True"}},
		},
	}
}

func pod(name, uid, cpu string) *framework.PodInfo {
	return framework.NewPodInfo(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name, Uid: uid},
		Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{
			Name: "c", Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": cpu}},
		}}},
	})
}

// requested returns the cpu and pod count requested on node.
func requested(t *testing.T, c *Cache, node string) (int64, int64) {
	t.Helper()
	r, ok := c.NodeRequested(node)
	if !ok {
		t.Fatalf("node %s unknown", node)
	}
	return r.MilliCPU, r.Pods
}

func wantRequested(t *testing.T, c *Cache, node string, cpu, pods int64) {
	t.Helper()
	if gotCPU, gotPods := requested(t, c, node); gotCPU != cpu || gotPods != pods {
		t.Fatalf("%s requests cpu %dm for %d pods, want %dm for %d", node, gotCPU, gotPods, cpu, pods)
	}
}

func TestAssumeForget(t *testing.T) {
	c := New()
	c.SetNode(node("n1", "2"))
	p := pod("p", "u1", "500m")
	if err := c.Assume(p, "n1"); err != nil {
		t.Fatal(err)
	}
	wantRequested(t, c, "n1", 500, 1)
	if !c.IsAssumed(p.Key) {
		t.Fatal("not assumed after Assume")
	}
	if err := c.Assume(p, "n1"); !errors.Is(err, ErrPodKnown) {
		t.Fatalf("second Assume: %v, want ErrPodKnown", err)
	}
	if c.Forget(p.Key, "other-uid") {
		t.Fatal("Forget with another uid forgot")
	}
	if !c.Forget(p.Key, "u1") {
		t.Fatal("Forget did not forget")
	}
	wantRequested(t, c, "n1", 0, 0)
	if c.IsAssumed(p.Key) || c.Forget(p.Key, "u1") {
		t.Fatal("still assumed after Forget")
	}
	if err := c.Assume(p, "nope"); !errors.Is(err, ErrNoNode) {
		t.Fatalf("Assume on unknown node: %v, want ErrNoNode", err)
	}
}

func TestConfirmByInformer(t *testing.T) {
	c := New()
	c.SetNode(node("n1", "2"))
	c.SetNode(node("n2", "2"))
	p := pod("p", "u1", "500m")
	if err := c.Assume(p, "n1"); err != nil {
		t.Fatal(err)
	}
	c.AddPod(p, "n1") // the watch event shows the pod bound
	wantRequested(t, c, "n1", 500, 1)
	if c.IsAssumed(p.Key) {
		t.Fatal("still assumed after confirmation")
	}
	if c.Forget(p.Key, "u1") {
		t.Fatal("Forget undid a confirmed pod")
	}
	wantRequested(t, c, "n1", 500, 1)
	// The pod shows up on another node (another scheduler won): it moves.
	q := pod("q", "u2", "300m")
	if err := c.Assume(q, "n1"); err != nil {
		t.Fatal(err)
	}
	c.AddPod(q, "n2")
	wantRequested(t, c, "n1", 500, 1)
	wantRequested(t, c, "n2", 300, 1)
	if _, pods, assumed := c.Stats(); pods != 2 || assumed != 0 {
		t.Fatalf("Stats pods %d assumed %d, want 2 and 0", pods, assumed)
	}
	c.RemovePod(p.Key)
	c.RemovePod(q.Key)
	wantRequested(t, c, "n1", 0, 0)
	wantRequested(t, c, "n2", 0, 0)
}

func TestRemoveAssumedPod(t *testing.T) {
	c := New()
	c.SetNode(node("n1", "2"))
	p := pod("p", "u1", "1")
	if err := c.Assume(p, "n1"); err != nil {
		t.Fatal(err)
	}
	c.RemovePod(p.Key) // deleted while its binding was in flight
	wantRequested(t, c, "n1", 0, 0)
	if _, _, assumed := c.Stats(); assumed != 0 {
		t.Fatalf("assumed = %d after RemovePod", assumed)
	}
}

func TestNodeLifecycle(t *testing.T) {
	c := New()
	// A pod bound to a node the cache has not seen yet.
	p := pod("p", "u1", "1")
	c.AddPod(p, "late")
	if nodes, _, _ := c.Stats(); nodes != 0 {
		t.Fatalf("placeholder counted as a node: %d", nodes)
	}
	c.SetNode(node("late", "4"))
	wantRequested(t, c, "late", 1000, 1)
	c.SetNode(node("other", "4"))
	c.RemoveNode("late")
	if _, ok := c.NodeRequested("late"); ok {
		t.Fatal("removed node still known")
	}
	var names []string
	c.View(func(nodes []*framework.NodeInfo) {
		for _, n := range nodes {
			names = append(names, n.Name)
		}
	})
	if len(names) != 1 || names[0] != "other" {
		t.Fatalf("View nodes %v, want [other]", names)
	}
	// The node comes back: its pod is still counted.
	c.SetNode(node("late", "4"))
	wantRequested(t, c, "late", 1000, 1)
	c.RemoveNode("late")
	c.RemovePod(p.Key)
	if len(c.nodes) != 1 {
		t.Fatalf("placeholder kept after its last pod left: %d NodeInfos", len(c.nodes))
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New()
	for _, n := range []string{"a", "b", "c"} {
		c.SetNode(node(n, "100"))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				p := pod("p", "u", "10m")
				p.Key = string(rune('a'+w)) + "/" + string(rune(i))
				if err := c.Assume(p, "b"); err != nil {
					t.Error(err)
					return
				}
				c.View(func(nodes []*framework.NodeInfo) { _ = len(nodes) })
				if i%2 == 0 {
					c.Forget(p.Key, "u")
				} else {
					c.AddPod(p, "c")
				}
			}
		}()
	}
	wg.Wait()
	wantRequested(t, c, "b", 0, 0)
	wantRequested(t, c, "c", 4*100*10, 400)
}
