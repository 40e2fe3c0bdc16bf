package replicaset

import (
	"errors"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestScaleUpCreatesPodsFromTemplateInSlowStartBatches(t *testing.T) {
	f := newFixture(t)
	rs := f.world.Seed(newRS("web", 5, "web"))[0]
	f.mustReconcile("default/web")
	pods := f.pods()
	if len(pods) != 5 {
		t.Fatalf("%d pods, want 5", len(pods))
	}
	// Rounds of 1, 2 and 2 pods, one Batch call each.
	if f.world.Batches() != 3 {
		t.Fatalf("%d Batch calls, want 3 (slow start 1,2,2)", f.world.Batches())
	}
	for _, p := range pods {
		m := p.GetMetadata()
		if !strings.HasPrefix(m.GetName(), "web-") || m.GetGenerateName() != "web-" {
			t.Errorf("pod %q generateName %q, want prefix web-", m.GetName(), m.GetGenerateName())
		}
		if m.GetLabels()["app"] != "web" || m.GetLabels()["tier"] != "web" || m.GetAnnotations()["a"] != "b" {
			t.Errorf("pod %s labels %v annotations %v, want the template's", m.GetName(), m.GetLabels(), m.GetAnnotations())
		}
		refs := m.GetOwnerReferences()
		if len(refs) != 1 {
			t.Fatalf("pod %s has %d owner references", m.GetName(), len(refs))
		}
		r := refs[0]
		if r.GetApiVersion() != "apps/v1" || r.GetKind() != "ReplicaSet" || r.GetName() != "web" ||
			r.GetUid() != rs.GetReplicaSet().GetMetadata().GetUid() || !r.GetController() || !r.GetBlockOwnerDeletion() {
			t.Errorf("owner reference %v", r)
		}
		if len(p.GetSpec().GetContainers()) != 1 || p.GetSpec().GetContainers()[0].GetImage() != "img" {
			t.Errorf("pod spec %v, want the template's", p.GetSpec())
		}
	}
}

func TestExpectationsPreventDoubleCreate(t *testing.T) {
	f := newFixture(t)
	f.world.Seed(newRS("web", 3, "web"))
	f.mustReconcile("default/web")
	if n := f.world.Count("create", apimeta.KindPod); n != 3 {
		t.Fatalf("%d creates, want 3", n)
	}
	// The pod cache has not seen the creates yet: a second sync must not
	// create again, though it sees no pods.
	f.mustReconcile("default/web")
	f.mustReconcile("default/web")
	if n := f.world.Count("create", apimeta.KindPod); n != 3 {
		t.Fatalf("%d creates after resyncing with a stale cache, want 3", n)
	}
	if a, _ := f.c.exp.Pending("default/web"); a != 3 {
		t.Fatalf("pending creations %d, want 3", a)
	}
	f.world.Sync()
	if !f.c.exp.Satisfied("default/web") {
		t.Fatal("expectations not satisfied after the cache saw every pod")
	}
	f.mustReconcile("default/web")
	if n := f.world.Count("create", apimeta.KindPod); n != 3 {
		t.Fatalf("%d creates after the cache caught up, want 3", n)
	}
	// Losing a pod is replaced once.
	p := f.pods()[0]
	f.world.Mutate(apimeta.KindPod, "default", p.GetMetadata().GetName(), func(*gantryv1.Object) {})
	if _, err := f.world.Delete(t.Context(), &gantryv1.DeleteRequest{Kind: "Pod", Namespace: "default", Name: p.GetMetadata().GetName()}); err != nil {
		t.Fatal(err)
	}
	f.world.Sync()
	f.mustReconcile("default/web")
	f.mustReconcile("default/web")
	if n := f.world.Count("create", apimeta.KindPod); n != 4 {
		t.Fatalf("%d creates after losing one pod, want 4", n)
	}
}

func TestScaleDownDeletesTheLeastValuablePodsFirst(t *testing.T) {
	f := newFixture(t)
	rs := f.world.Seed(newRS("web", 7, "web"))[0]
	l := map[string]string{"app": "web", "tier": "web"}
	// In the order they must go.
	f.seedPod("a-unscheduled", podOpts{owner: rs, labels: l, phase: "Pending", createdAgo: time.Hour})
	f.seedPod("b-pending", podOpts{owner: rs, labels: l, node: "n1", phase: "Pending", createdAgo: time.Hour})
	f.seedPod("c-notready", podOpts{owner: rs, labels: l, node: "n1", phase: "Running", createdAgo: time.Hour})
	f.seedPod("d-ready-briefly", podOpts{owner: rs, labels: l, node: "n1", phase: "Running", ready: true, readyAgo: time.Second, createdAgo: time.Hour})
	f.seedPod("e-ready-young", podOpts{owner: rs, labels: l, node: "n1", phase: "Running", ready: true, readyAgo: time.Hour, createdAgo: time.Minute, restarts: 0})
	f.seedPod("f-ready-restarted", podOpts{owner: rs, labels: l, node: "n1", phase: "Running", ready: true, readyAgo: time.Hour, createdAgo: 3 * time.Hour, restarts: 2})
	f.seedPod("g-ready-old", podOpts{owner: rs, labels: l, node: "n1", phase: "Running", ready: true, readyAgo: time.Hour, createdAgo: 2 * time.Hour})
	want := []string{"a-unscheduled", "b-pending", "c-notready", "d-ready-briefly", "f-ready-restarted", "e-ready-young"}
	for n := 1; n <= len(want); n++ {
		f.world.Mutate(apimeta.KindReplicaSet, "default", "web", func(o *gantryv1.Object) {
			o.GetReplicaSet().Spec.Replicas = int32p(int32(7 - n))
		})
		f.world.Sync()
		f.world.ResetActions()
		f.mustReconcile("default/web")
		acts := f.world.Actions()
		var deleted []string
		for _, a := range acts {
			if a.Verb == "delete" {
				deleted = append(deleted, strings.TrimPrefix(a.Key, "default/"))
			}
		}
		if len(deleted) != 1 || deleted[0] != want[n-1] {
			t.Fatalf("scaling to %d deleted %v, want [%s]", 7-n, deleted, want[n-1])
		}
		f.world.Sync()
	}
	if got := names(f.pods()); got != "[g-ready-old]" {
		t.Fatalf("left %s, want the oldest ready pod", got)
	}
}

func TestScaleDownByManyInOneBatch(t *testing.T) {
	f := newFixture(t)
	f.world.Seed(newRS("web", 10, "web"))
	f.mustReconcile("default/web")
	f.world.Sync()
	f.world.Mutate(apimeta.KindReplicaSet, "default", "web", func(o *gantryv1.Object) { o.GetReplicaSet().Spec.Replicas = int32p(2) })
	f.world.Sync()
	before := f.world.Batches()
	f.mustReconcile("default/web")
	if got := len(f.pods()); got != 2 {
		t.Fatalf("%d pods left, want 2", got)
	}
	if f.world.Batches()-before != 1 {
		t.Fatalf("8 deletes took %d Batch calls, want 1", f.world.Batches()-before)
	}
	// The deletes are not observed yet: no further deletes or creates.
	f.mustReconcile("default/web")
	if n := f.world.Count("delete", apimeta.KindPod); n != 8 {
		t.Fatalf("%d deletes, want 8", n)
	}
	if st := f.rsStatus("web"); st.GetReplicas() != 2 {
		t.Fatalf("status.replicas = %d right after deleting, want 2", st.GetReplicas())
	}
}

func TestAdoptsMatchingOrphansAndReleasesNonMatching(t *testing.T) {
	f := newFixture(t)
	rs := f.world.Seed(newRS("web", 2, "web"))[0]
	other := f.world.Seed(newRS("other", 1, "other"))[0]
	f.seedPod("orphan", podOpts{labels: map[string]string{"app": "web"}, phase: "Running"})
	f.seedPod("unrelated", podOpts{labels: map[string]string{"app": "db"}})
	f.seedPod("mine-relabelled", podOpts{owner: rs, labels: map[string]string{"app": "moved"}})
	f.seedPod("theirs", podOpts{owner: other, labels: map[string]string{"app": "web"}})
	f.seedPod("mine", podOpts{owner: rs, labels: map[string]string{"app": "web"}})
	f.mustReconcile("default/web")
	uid := rs.GetReplicaSet().GetMetadata().GetUid()
	byName := map[string]*gantryv1.Pod{}
	for _, p := range f.pods() {
		byName[p.GetMetadata().GetName()] = p
	}
	if refs := byName["orphan"].GetMetadata().GetOwnerReferences(); len(refs) != 1 || refs[0].GetUid() != uid || !refs[0].GetController() {
		t.Fatalf("orphan owner references %v, want adoption by web", refs)
	}
	if refs := byName["mine-relabelled"].GetMetadata().GetOwnerReferences(); len(refs) != 0 {
		t.Fatalf("non-matching pod still owned: %v", refs)
	}
	if refs := byName["theirs"].GetMetadata().GetOwnerReferences(); len(refs) != 1 || refs[0].GetName() != "other" {
		t.Fatalf("another controller's pod changed: %v", refs)
	}
	if len(byName["unrelated"].GetMetadata().GetOwnerReferences()) != 0 {
		t.Fatal("a non-matching orphan was adopted")
	}
	// mine + orphan = 2 replicas: nothing created or deleted.
	if n := f.world.Count("create", apimeta.KindPod) + f.world.Count("delete", apimeta.KindPod); n != 0 {
		t.Fatalf("%d creates/deletes, want none", n)
	}
}

func TestNoAdoptionWhileBeingDeleted(t *testing.T) {
	f := newFixture(t)
	f.world.Seed(newRS("web", 2, "web"))
	f.seedPod("orphan", podOpts{labels: map[string]string{"app": "web"}})
	// Marked for deletion in the API; the cache does not know yet.
	f.world.Mutate(apimeta.KindReplicaSet, "default", "web", func(o *gantryv1.Object) {
		o.GetReplicaSet().Metadata.DeletionTimestamp = o.GetReplicaSet().Metadata.CreationTimestamp
	})
	if err := f.reconcile("default/web"); err == nil {
		t.Fatal("adoption by a ReplicaSet being deleted did not fail")
	}
	if refs := f.pods()[0].GetMetadata().GetOwnerReferences(); len(refs) != 0 {
		t.Fatalf("orphan adopted: %v", refs)
	}
}

func TestStatusCountsReadyAndAvailable(t *testing.T) {
	f := newFixture(t)
	obj := newRS("web", 3, "web")
	obj.GetReplicaSet().Spec.MinReadySeconds = 10
	rs := f.world.Seed(obj)[0]
	l := map[string]string{"app": "web", "tier": "web"}
	f.seedPod("available", podOpts{owner: rs, labels: l, node: "n", phase: "Running", ready: true, readyAgo: time.Minute})
	f.seedPod("ready-3s", podOpts{owner: rs, labels: l, node: "n", phase: "Running", ready: true, readyAgo: 3 * time.Second})
	f.seedPod("partly-labelled", podOpts{owner: rs, labels: map[string]string{"app": "web"}, node: "n", phase: "Pending"})
	f.mustReconcile("default/web")
	st := f.rsStatus("web")
	if st.GetReplicas() != 3 || st.GetFullyLabeledReplicas() != 2 || st.GetReadyReplicas() != 2 || st.GetAvailableReplicas() != 1 || st.GetObservedGeneration() != 1 {
		t.Fatalf("status %v", st)
	}
	// The key comes back when ready-3s has been ready for 10 s.
	if f.c.queue.Waiting() != 1 {
		t.Fatalf("%d keys waiting, want the ReplicaSet re-queued for availability", f.c.queue.Waiting())
	}
	f.world.Clock.Step(7 * time.Second)
	f.world.Sync()
	f.mustReconcile("default/web")
	if st := f.rsStatus("web"); st.GetAvailableReplicas() != 2 {
		t.Fatalf("available %d after minReadySeconds, want 2", st.GetAvailableReplicas())
	}
}

func TestCreateFailureStopsSlowStartAndLowersExpectations(t *testing.T) {
	f := newFixture(t)
	f.world.Seed(newRS("web", 20, "web"))
	calls := 0
	f.world.Fail = func(a ctrltest.Action) error {
		if a.Verb == "create" && a.Kind == apimeta.KindPod {
			calls++
			if calls > 3 {
				return status.Error(codes.ResourceExhausted, "quota")
			}
		}
		return nil
	}
	err := f.reconcile("default/web")
	if status.Code(errors.Unwrap(err)) != codes.ResourceExhausted {
		t.Fatal("reconcile succeeded although creates failed")
	}
	// Rounds 1 and 2 succeed (3 pods), round 4 fails entirely; the other
	// 13 are never tried.
	if len(f.pods()) != 3 || calls != 7 {
		t.Fatalf("%d pods after %d create attempts, want 3 after 7", len(f.pods()), calls)
	}
	f.world.Sync()
	if !f.c.exp.Satisfied("default/web") {
		a, d := f.c.exp.Pending("default/web")
		t.Fatalf("expectations still pending (%d creates, %d deletes) for creates that never happened", a, d)
	}
	if c := f.rsStatus("web").GetConditions(); len(c) != 1 || c[0].GetType() != ReplicaFailure {
		t.Fatalf("conditions %v, want ReplicaFailure", c)
	}
	f.world.Fail = nil
	f.mustReconcile("default/web")
	if len(f.pods()) != 20 {
		t.Fatalf("%d pods after the failure cleared, want 20", len(f.pods()))
	}
	f.world.Sync()
	f.mustReconcile("default/web")
	if c := f.rsStatus("web").GetConditions(); len(c) != 0 {
		t.Fatalf("conditions %v, want ReplicaFailure cleared", c)
	}
}

func TestNameCollisionsAreRetried(t *testing.T) {
	f := newFixture(t)
	f.world.Seed(newRS("web", 4, "web"))
	collisions := 2
	f.world.Fail = func(a ctrltest.Action) error {
		if a.Verb == "create" && collisions > 0 {
			collisions--
			return status.Error(codes.AlreadyExists, "name taken")
		}
		return nil
	}
	f.mustReconcile("default/web")
	if len(f.pods()) != 4 {
		t.Fatalf("%d pods, want 4 despite name collisions", len(f.pods()))
	}
}

func TestTerminatingAndFinishedPodsAreReplaced(t *testing.T) {
	f := newFixture(t)
	rs := f.world.Seed(newRS("web", 2, "web"))[0]
	l := map[string]string{"app": "web", "tier": "web"}
	f.seedPod("done", podOpts{owner: rs, labels: l, node: "n", phase: "Succeeded"})
	f.seedPod("running", podOpts{owner: rs, labels: l, node: "n", phase: "Running"})
	f.world.Mutate(apimeta.KindPod, "default", "running", func(o *gantryv1.Object) {
		o.GetPod().Metadata.DeletionTimestamp = o.GetPod().Metadata.CreationTimestamp
	})
	f.world.Sync()
	f.mustReconcile("default/web")
	if n := f.world.Count("create", apimeta.KindPod); n != 2 {
		t.Fatalf("%d creates, want 2 (neither a finished nor a terminating pod counts)", n)
	}
}

func TestDeletedReplicaSetForgetsExpectations(t *testing.T) {
	f := newFixture(t)
	f.world.Seed(newRS("web", 3, "web"))
	f.mustReconcile("default/web")
	if _, err := f.world.Delete(t.Context(), &gantryv1.DeleteRequest{Kind: "ReplicaSet", Namespace: "default", Name: "web"}); err != nil {
		t.Fatal(err)
	}
	f.world.Sync()
	if f.c.exp.Len() != 0 {
		t.Fatal("expectations kept for a deleted ReplicaSet")
	}
	f.mustReconcile("default/web")
}
