package deployment

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/deployutil"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"github.com/gantryio/gantry/services/controller/replicaset"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// world runs the Deployment and ReplicaSet controllers over a fake world,
// stepped by hand.
type world struct {
	t   *testing.T
	w   *ctrltest.World
	dc  *Controller
	rsc *replicaset.Controller
	// readyAfter is how many steps a new pod takes to become ready.
	readyAfter func(pod string) int
	age        map[string]int
	// check runs after every change the controllers make.
	check func(stage string)
	// minReady is the Deployment's minReadySeconds, for counting.
	minReady int32
	// stale runs every reconcile a second time before the caches see the
	// first one's writes.
	stale bool
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := ctrltest.NewWorld()
	log := zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	dc, err := New(DefaultConfig(), Deps{Client: w, Deployments: w.Cache(apimeta.KindDeployment),
		ReplicaSets: w.Cache(apimeta.KindReplicaSet), Pods: w.Cache(apimeta.KindPod), Clock: w.Clock}, log)
	if err != nil {
		t.Fatal(err)
	}
	rsc, err := replicaset.New(replicaset.DefaultConfig(), replicaset.Deps{Client: w, ReplicaSets: w.Cache(apimeta.KindReplicaSet),
		Pods: w.Cache(apimeta.KindPod), Clock: w.Clock}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.queue.ShutDown)
	return &world{t: t, w: w, dc: dc, rsc: rsc, readyAfter: func(string) int { return 1 }, age: map[string]int{}}
}

func int32p(v int32) *int32 { return &v }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func newDeployment(name string, replicas int32, image string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &gantryv1.DeploymentSpec{
			Replicas: int32p(replicas),
			Selector: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: &gantryv1.PodTemplateSpec{
				Metadata: &gantryv1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: image}}},
			},
			Strategy:                &gantryv1.DeploymentStrategy{Type: RollingUpdate, RollingUpdate: &gantryv1.RollingUpdateDeployment{MaxSurge: "25%", MaxUnavailable: "25%"}},
			RevisionHistoryLimit:    int32p(10),
			ProgressDeadlineSeconds: int32p(600),
		},
	})
}

func (w *world) deploy(key string) {
	w.t.Helper()
	w.w.Sync()
	for i := 0; i < 1+boolInt(w.stale); i++ {
		if err := w.dc.Reconcile(context.Background(), key); err != nil && !ctrl.IsConflict(errors.Unwrap(err)) && !ctrl.IsConflict(err) {
			w.t.Fatalf("deployment reconcile: %v", err)
		}
	}
	w.w.Sync()
}

func (w *world) replicaSets() {
	w.t.Helper()
	w.w.Sync()
	for _, rs := range w.w.Objects(apimeta.KindReplicaSet) {
		for i := 0; i < 1+boolInt(w.stale); i++ {
			if err := w.rsc.Reconcile(context.Background(), ctrl.Key(rs)); err != nil {
				w.t.Fatalf("replicaset reconcile: %v", err)
			}
		}
		w.w.Sync()
		if w.check != nil {
			w.check("replicaset " + ctrl.Key(rs))
		}
	}
}

// ripen makes pods ready once they have existed for their readyAfter steps.
func (w *world) ripen() {
	for _, o := range w.w.Objects(apimeta.KindPod) {
		p := o.GetPod()
		name := p.GetMetadata().GetName()
		if ctrl.IsPodReady(p) || !ctrl.IsPodActive(p) {
			continue
		}
		w.age[name]++
		if w.age[name] < w.readyAfter(name) {
			continue
		}
		w.setReady(name, true)
	}
	w.w.Sync()
}

func (w *world) setReady(name string, ready bool) {
	st := "False"
	if ready {
		st = "True"
	}
	w.w.Mutate(apimeta.KindPod, "default", name, func(o *gantryv1.Object) {
		o.GetPod().Spec.NodeName = "n1"
		o.GetPod().Status = &gantryv1.PodStatus{Phase: "Running", Conditions: []*gantryv1.Condition{
			{Type: "Ready", Status: st, LastTransitionTime: timestamppb.New(w.w.Clock.Now())}}}
	})
}

// step runs the Deployment controller, then every ReplicaSet, then lets
// pods become ready and a second pass.
func (w *world) step(key string) {
	w.t.Helper()
	w.deploy(key)
	if w.check != nil {
		w.check("deployment")
	}
	w.replicaSets()
	w.ripen()
	if w.check != nil {
		w.check("ready")
	}
	w.w.Clock.Step(time.Second)
}

func (w *world) deployment(name string) *gantryv1.Deployment {
	return w.w.Object(apimeta.KindDeployment, "default", name).GetDeployment()
}

// counts returns the active and available pods in the world.
func (w *world) counts() (active, available int32) {
	for _, o := range w.w.Objects(apimeta.KindPod) {
		p := o.GetPod()
		if !ctrl.IsPodActive(p) {
			continue
		}
		active++
		if ctrl.IsPodAvailable(p, w.minReady, w.w.Clock.Now()) {
			available++
		}
	}
	return active, available
}

func (w *world) rsList() []*gantryv1.ReplicaSet {
	var out []*gantryv1.ReplicaSet
	for _, o := range w.w.Objects(apimeta.KindReplicaSet) {
		out = append(out, o.GetReplicaSet())
	}
	sort.Slice(out, func(i, j int) bool {
		return deployutil.Revision(out[i].GetMetadata()) < deployutil.Revision(out[j].GetMetadata())
	})
	return out
}

func rsSummary(rs []*gantryv1.ReplicaSet) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("%s(rev %d, %d) ", r.GetMetadata().GetName(), deployutil.Revision(r.GetMetadata()), r.GetSpec().GetReplicas())
	}
	return s
}

// setImage changes the Deployment's template.
func (w *world) setImage(name, image string) {
	w.w.Mutate(apimeta.KindDeployment, "default", name, func(o *gantryv1.Object) {
		d := o.GetDeployment()
		d.Spec.Template.Spec.Containers[0].Image = image
		d.Metadata.Generation++
	})
}

// runUntilComplete steps until the Deployment is complete at image.
func (w *world) runUntilComplete(name string, maxSteps int) int {
	w.t.Helper()
	for i := 0; i < maxSteps; i++ {
		w.step("default/" + name)
		d := w.deployment(name)
		st := d.GetStatus()
		cond := deployutil.Condition(st.GetConditions(), deployutil.CondProgressing)
		if st.GetObservedGeneration() == d.GetMetadata().GetGeneration() && deploymentComplete(d, st) &&
			cond.GetReason() == deployutil.ReasonNewRSAvailable && w.oldScaledDown(d) {
			return i + 1
		}
	}
	w.t.Fatalf("not complete after %d steps: status %v; ReplicaSets %s", maxSteps, w.deployment(name).GetStatus(), rsSummary(w.rsList()))
	return 0
}

func (w *world) oldScaledDown(d *gantryv1.Deployment) bool {
	for _, rs := range w.rsList() {
		if !deployutil.EqualIgnoreHash(rs.GetSpec().GetTemplate(), d.GetSpec().GetTemplate()) && rs.GetSpec().GetReplicas() != 0 {
			return false
		}
	}
	return true
}
