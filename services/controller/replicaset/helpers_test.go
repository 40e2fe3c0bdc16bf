package replicaset

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type fixture struct {
	t     *testing.T
	world *ctrltest.World
	c     *Controller
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	w := ctrltest.NewWorld()
	c, err := New(DefaultConfig(), Deps{Client: w, ReplicaSets: w.Cache(apimeta.KindReplicaSet), Pods: w.Cache(apimeta.KindPod), Clock: w.Clock}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.queue.ShutDown)
	return &fixture{t: t, world: w, c: c}
}

func (f *fixture) reconcile(key string) error {
	f.t.Helper()
	return f.c.reconcile(context.Background(), key)
}

func (f *fixture) mustReconcile(key string) {
	f.t.Helper()
	if err := f.reconcile(key); err != nil {
		f.t.Fatalf("reconcile %s: %v", key, err)
	}
}

func int32p(v int32) *int32 { return &v }

func newRS(name string, replicas int32, app string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ReplicaSet{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &gantryv1.ReplicaSetSpec{
			Replicas: int32p(replicas),
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Template: &gantryv1.PodTemplateSpec{
				Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": app, "tier": "web"}, Annotations: map[string]string{"a": "b"}},
				Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: "img"}}},
			},
		},
	})
}

// podOpts describe a seeded pod.
type podOpts struct {
	owner      *gantryv1.Object // controller, or nil for an orphan
	labels     map[string]string
	node       string
	phase      string
	ready      bool
	readyAgo   time.Duration
	createdAgo time.Duration
	restarts   int32
}

func (f *fixture) seedPod(name string, o podOpts) *gantryv1.Object {
	f.t.Helper()
	now := f.world.Clock.Now()
	p := &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", Labels: o.labels,
			CreationTimestamp: timestamppb.New(now.Add(-o.createdAgo))},
		Spec:   &gantryv1.PodSpec{NodeName: o.node},
		Status: &gantryv1.PodStatus{Phase: o.phase},
	}
	if o.owner != nil {
		p.Metadata.OwnerReferences = []*gantryv1.OwnerReference{ctrl.NewControllerRef(ctrl.Meta(o.owner), apimeta.KindReplicaSet)}
	}
	if o.ready {
		p.Status.Conditions = []*gantryv1.Condition{{Type: "Ready", Status: "True", LastTransitionTime: timestamppb.New(now.Add(-o.readyAgo))}}
	}
	if o.restarts > 0 {
		p.Status.ContainerStatuses = []*gantryv1.ContainerStatus{{Name: "c", RestartCount: o.restarts}}
	}
	return f.world.Seed(apimeta.Wrap(p))[0]
}

func (f *fixture) pods() []*gantryv1.Pod {
	var out []*gantryv1.Pod
	for _, o := range f.world.Objects(apimeta.KindPod) {
		out = append(out, o.GetPod())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetMetadata().GetName() < out[j].GetMetadata().GetName() })
	return out
}

func (f *fixture) rsStatus(name string) *gantryv1.ReplicaSetStatus {
	return f.world.Object(apimeta.KindReplicaSet, "default", name).GetReplicaSet().GetStatus()
}

// markReady sets every stored pod's Ready condition (at the clock's time).
func (f *fixture) markAllReady() {
	for _, p := range f.pods() {
		f.world.Mutate(apimeta.KindPod, "default", p.GetMetadata().GetName(), func(o *gantryv1.Object) {
			o.GetPod().Status = &gantryv1.PodStatus{Phase: "Running", Conditions: []*gantryv1.Condition{
				{Type: "Ready", Status: "True", LastTransitionTime: timestamppb.New(f.world.Clock.Now())}}}
		})
	}
}

func names(pods []*gantryv1.Pod) string {
	var out []string
	for _, p := range pods {
		out = append(out, p.GetMetadata().GetName())
	}
	return fmt.Sprint(out)
}
