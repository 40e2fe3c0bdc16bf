package api_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestObjectSemantics checks what the server does to objects: the fields
// it owns, generation, status versus spec, no-op writes, finalizers,
// namespace deletion and namespace defaulting.
func TestObjectSemantics(t *testing.T) {
	c := newCluster(t)
	leader := c.Leader()
	f1, f2 := c.Followers()[0], c.Followers()[1]

	t.Run("create stamps server-owned fields", func(t *testing.T) {
		before := time.Now()
		in := configMap("default", "stamped", nil, map[string]string{"a": "1"})
		m := apimeta.Meta(in)
		m.Uid, m.ResourceVersion, m.Generation = "client-chosen", "999999", 7
		m.CreationTimestamp = timestamppb.New(time.Unix(0, 0))
		m.DeletionTimestamp = timestamppb.New(time.Unix(1, 0))
		out := create(t, f1, in)
		after := time.Now()
		om := apimeta.Meta(out)
		if _, err := uuid.Parse(om.GetUid()); err != nil || om.GetUid() == "client-chosen" {
			t.Errorf("uid %q: want a server-chosen UUID (%v)", om.GetUid(), err)
		}
		if ts := om.GetCreationTimestamp().AsTime(); ts.Before(before.Add(-time.Second)) || ts.After(after.Add(time.Second)) {
			t.Errorf("creationTimestamp %v not between %v and %v", ts, before, after)
		}
		if om.GetGeneration() != 1 {
			t.Errorf("generation %d, want 1", om.GetGeneration())
		}
		if rv := rvNum(t, om.GetResourceVersion()); rv == 999999 {
			t.Errorf("resource_version %d was taken from the client", rv)
		}
		if om.GetDeletionTimestamp() != nil {
			t.Errorf("deletionTimestamp %v was taken from the client", om.GetDeletionTimestamp())
		}
		// Every master returns exactly what the create returned.
		for _, mem := range c.Members {
			if got := get(t, mem, "ConfigMap", "default", "stamped"); !proto.Equal(got, out) {
				t.Errorf("%s: Get returned\n%v\nwant\n%v", mem.ID, got, out)
			}
		}
	})

	t.Run("generateName", func(t *testing.T) {
		suffix := regexp.MustCompile(`^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$`)
		seen := map[string]bool{}
		for i := 0; i < 5; i++ {
			o := apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{GenerateName: "gen-"}})
			out := create(t, c.Members[i%3], o)
			name := apimeta.Meta(out).GetName()
			if !suffix.MatchString(name) {
				t.Errorf("generated name %q does not match %s", name, suffix)
			}
			if seen[name] {
				t.Errorf("generated name %q twice", name)
			}
			seen[name] = true
			if g := apimeta.Meta(out).GetGenerateName(); g != "gen-" {
				t.Errorf("generateName %q not kept", g)
			}
			get(t, c.Members[(i+1)%3], "ConfigMap", "default", name)
		}
		// A name given with generateName wins.
		o := apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: "explicit", GenerateName: "gen-"}})
		if got := apimeta.Meta(create(t, leader, o)).GetName(); got != "explicit" {
			t.Errorf("name %q, want explicit", got)
		}
	})

	t.Run("generation grows only with the spec", func(t *testing.T) {
		d := create(t, leader, deployment("default", "gen", "gen"))
		check := func(o *gantryv1.Object, want int64, what string) {
			t.Helper()
			if g := apimeta.Meta(o).GetGeneration(); g != want {
				t.Errorf("after %s: generation %d, want %d", what, g, want)
			}
		}
		check(d, 1, "create")
		prevRV := rvOf(d)

		d.GetDeployment().Metadata.Labels = map[string]string{"team": "a"}
		d = update(t, f1, d)
		check(d, 1, "a label change")
		if rvOf(d) == prevRV {
			t.Errorf("label change kept resource_version %s", prevRV)
		}

		d.GetDeployment().Metadata.Annotations = map[string]string{"note": "x"}
		d = update(t, f2, d)
		check(d, 1, "an annotation change")

		three := int32(3)
		d.GetDeployment().Spec.Replicas = &three
		d = update(t, leader, d)
		check(d, 2, "a spec change")

		d.GetDeployment().Spec.Template.Spec.Containers[0].Image = "nginx:2"
		d = update(t, f1, d)
		check(d, 3, "a template change")

		// Status writes never touch generation.
		d.GetDeployment().Status = &gantryv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 3}
		resp, err := f2.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: d})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		check(resp.GetObject(), 3, "a status change")

		// Kinds without a spec count their data as the body.
		cm := create(t, leader, configMap("default", "gen-data", nil, map[string]string{"k": "1"}))
		cm.GetConfigMap().Metadata.Labels = map[string]string{"x": "y"}
		cm = update(t, leader, cm)
		check(cm, 1, "a ConfigMap label change")
		cm.GetConfigMap().Data["k"] = "2"
		cm = update(t, leader, cm)
		check(cm, 2, "a ConfigMap data change")
	})

	t.Run("status and spec are written separately", func(t *testing.T) {
		p := create(t, leader, pod("default", "sep", "", map[string]string{"app": "a"}))
		spec := proto.Clone(p.GetPod().GetSpec()).(*gantryv1.PodSpec)

		// UpdateStatus: only status changes, whatever else the request holds.
		in := proto.Clone(p).(*gantryv1.Object)
		in.GetPod().Status = &gantryv1.PodStatus{Phase: "Running", PodIp: "10.0.0.7"}
		in.GetPod().Spec.Containers[0].Image = "changed"
		in.GetPod().Metadata.Labels = map[string]string{"app": "changed"}
		resp, err := f1.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: in})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		out := resp.GetObject()
		if !proto.Equal(out.GetPod().GetSpec(), spec) {
			t.Errorf("UpdateStatus changed the spec:\n got %v\nwant %v", out.GetPod().GetSpec(), spec)
		}
		if l := out.GetPod().GetMetadata().GetLabels()["app"]; l != "a" {
			t.Errorf("UpdateStatus changed labels: app=%s", l)
		}
		if ph := out.GetPod().GetStatus().GetPhase(); ph != "Running" {
			t.Errorf("phase %q, want Running", ph)
		}
		if apimeta.Meta(out).GetGeneration() != 1 {
			t.Errorf("UpdateStatus changed generation to %d", apimeta.Meta(out).GetGeneration())
		}

		// Update: status is kept, metadata changes.
		in = proto.Clone(out).(*gantryv1.Object)
		in.GetPod().Status = &gantryv1.PodStatus{Phase: "Failed"}
		in.GetPod().Metadata.Labels = map[string]string{"app": "b"}
		out = update(t, f2, in)
		if ph := out.GetPod().GetStatus().GetPhase(); ph != "Running" {
			t.Errorf("Update changed status: phase %q, want Running", ph)
		}
		if out.GetPod().GetStatus().GetPodIp() != "10.0.0.7" {
			t.Errorf("Update changed status: podIP %q", out.GetPod().GetStatus().GetPodIp())
		}
		if l := out.GetPod().GetMetadata().GetLabels()["app"]; l != "b" {
			t.Errorf("Update did not change labels: app=%s", l)
		}
		// Update without any status keeps it too.
		in = proto.Clone(out).(*gantryv1.Object)
		in.GetPod().Status = nil
		in.GetPod().Metadata.Annotations = map[string]string{"n": "1"}
		out = update(t, leader, in)
		if ph := out.GetPod().GetStatus().GetPhase(); ph != "Running" {
			t.Errorf("Update without status dropped it: phase %q", ph)
		}
		if got := get(t, f1, "Pod", "default", "sep"); !proto.Equal(got, out) {
			t.Errorf("Get differs from the Update response:\n got %v\nwant %v", got, out)
		}
	})

	t.Run("no-op writes keep resource_version and send no event", func(t *testing.T) {
		cm := create(t, leader, configMap("default", "noop", map[string]string{"a": "b"}, map[string]string{"k": "v"}))
		rv := rvOf(cm)
		w := openWatch(t, f2, &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "default", FieldSelector: "metadata.name=noop", ResourceVersion: rv})
		for i, via := range c.Members {
			again := update(t, via, proto.Clone(cm).(*gantryv1.Object))
			if rvOf(again) != rv {
				t.Errorf("no-op update %d through %s: resource_version %s, want %s", i, via.ID, rvOf(again), rv)
			}
			if !proto.Equal(again, cm) {
				t.Errorf("no-op update returned\n%v\nwant\n%v", again, cm)
			}
		}
		// Kinds with defaults: sending back what was stored is a no-op too.
		for _, o := range []*gantryv1.Object{deployment("default", "noop-dep", "noop"), pod("default", "noop-pod-spec", "", nil)} {
			stored := create(t, leader, o)
			if again := update(t, f1, proto.Clone(stored).(*gantryv1.Object)); rvOf(again) != rvOf(stored) {
				t.Errorf("no-op update of %s %s moved resource_version %s -> %s", apimeta.KindOf(o), apimeta.Meta(o).GetName(), rvOf(stored), rvOf(again))
			}
		}
		p := create(t, leader, pod("default", "noop-pod", "", nil))
		p.GetPod().Status = &gantryv1.PodStatus{Phase: "Pending"}
		p2, err := leader.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: p})
		if err != nil {
			t.Fatal(err)
		}
		p3, err := f1.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: p2.GetObject()})
		if err != nil {
			t.Fatal(err)
		}
		if rvOf(p3.GetObject()) != rvOf(p2.GetObject()) {
			t.Errorf("no-op status update moved resource_version %s -> %s", rvOf(p2.GetObject()), rvOf(p3.GetObject()))
		}
		// The next event the watch sees is a real change, not the no-ops.
		cm.GetConfigMap().Data["k"] = "changed"
		changed := update(t, leader, cm)
		ev := w.expectChange(modified, "noop")
		if ev.GetResourceVersion() != rvOf(changed) {
			t.Errorf("first event after no-op updates at %s, want the real change at %s", ev.GetResourceVersion(), rvOf(changed))
		}
	})

	t.Run("finalizers keep a deleted object until removed", func(t *testing.T) {
		in := configMap("default", "held", nil, map[string]string{"k": "v"})
		apimeta.Meta(in).Finalizers = []string{"example.com/hold"}
		cm := create(t, leader, in)

		resp, err := f1.Resource.Delete(ctxT(t), &gantryv1.DeleteRequest{Kind: "ConfigMap", Name: "held"})
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		marked := resp.GetObject()
		if apimeta.Meta(marked).GetDeletionTimestamp() == nil {
			t.Fatalf("delete of an object with finalizers returned no deletionTimestamp: %v", marked)
		}
		if rvNum(t, rvOf(marked)) <= rvNum(t, rvOf(cm)) {
			t.Errorf("marking for deletion did not advance resource_version: %s -> %s", rvOf(cm), rvOf(marked))
		}
		for _, m := range c.Members {
			got := get(t, m, "ConfigMap", "default", "held")
			if !proto.Equal(got, marked) {
				t.Errorf("%s: Get after delete returned\n%v\nwant\n%v", m.ID, got, marked)
			}
		}
		// Deleting again changes nothing.
		again := del(t, f2, "ConfigMap", "default", "held")
		if rvOf(again) != rvOf(marked) || !apimeta.Meta(again).GetDeletionTimestamp().AsTime().Equal(apimeta.Meta(marked).GetDeletionTimestamp().AsTime()) {
			t.Errorf("second delete changed the object: %v", again)
		}
		// No new finalizers once deletion started.
		add := proto.Clone(marked).(*gantryv1.Object)
		apimeta.Meta(add).Finalizers = append(apimeta.Meta(add).Finalizers, "example.com/other")
		_, err = leader.Resource.Update(ctxT(t), &gantryv1.UpdateRequest{Object: add})
		wantStatus(t, err, codes.FailedPrecondition, "metadata.finalizers")
		// Clearing the deletion timestamp is not the client's to do.
		undelete := proto.Clone(marked).(*gantryv1.Object)
		apimeta.Meta(undelete).DeletionTimestamp = nil
		apimeta.Meta(undelete).Labels = map[string]string{"touched": "yes"}
		kept := update(t, f1, undelete)
		if apimeta.Meta(kept).GetDeletionTimestamp() == nil {
			t.Errorf("an update cleared deletionTimestamp")
		}

		// Removing the last finalizer removes the object.
		apimeta.Meta(kept).Finalizers = nil
		update(t, f2, kept)
		for _, m := range c.Members {
			_, err := m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "ConfigMap", Name: "held"})
			wantStatus(t, err, codes.NotFound, "default/held")
		}
	})

	t.Run("deleting a namespace deletes its contents", func(t *testing.T) {
		create(t, leader, namespace("doomed"))
		for i, n := range []string{"a", "b", "c"} {
			create(t, c.Members[i], configMap("doomed", n, nil, nil))
		}
		create(t, f1, pod("doomed", "p", "", nil))
		create(t, f2, deployment("doomed", "d", "d"))
		create(t, leader, configMap("default", "bystander", nil, nil))

		del(t, f1, "Namespace", "", "doomed")
		for _, m := range c.Members {
			_, err := m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "Namespace", Name: "doomed"})
			wantStatus(t, err, codes.NotFound, "doomed")
			for _, k := range []string{"ConfigMap", "Pod", "Deployment"} {
				if items := listAll(t, m, &gantryv1.ListRequest{Kind: k, Namespace: "doomed"}); len(items) != 0 {
					t.Errorf("%s: %s left in the deleted namespace: %v", m.ID, k, names(items))
				}
			}
			get(t, m, "ConfigMap", "default", "bystander")
		}
		// The name can be used again, for a fresh, empty namespace.
		create(t, leader, namespace("doomed"))
		if items := listAll(t, f2, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "doomed"}); len(items) != 0 {
			t.Errorf("recreated namespace holds %v", names(items))
		}
	})

	t.Run("a namespace waits for its finalized contents", func(t *testing.T) {
		create(t, leader, namespace("lingering"))
		in := configMap("lingering", "held", nil, nil)
		apimeta.Meta(in).Finalizers = []string{"example.com/hold"}
		create(t, leader, in)
		create(t, leader, configMap("lingering", "free", nil, nil))

		ns := del(t, f1, "Namespace", "", "lingering")
		if apimeta.Meta(ns).GetDeletionTimestamp() == nil || ns.GetNamespace().GetStatus().GetPhase() != "Terminating" {
			t.Fatalf("namespace with finalized contents: want Terminating with deletionTimestamp, got %v", ns)
		}
		if _, err := f2.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "ConfigMap", Namespace: "lingering", Name: "free"}); err == nil {
			t.Errorf("an unfinalized object outlived its namespace's deletion")
		}
		held := get(t, f2, "ConfigMap", "lingering", "held")
		if apimeta.Meta(held).GetDeletionTimestamp() == nil {
			t.Errorf("the finalized object was not marked for deletion")
		}
		_, err := f2.Resource.Create(ctxT(t), &gantryv1.CreateRequest{Object: configMap("lingering", "late", nil, nil)})
		wantStatus(t, err, codes.FailedPrecondition, "lingering", "terminating")

		apimeta.Meta(held).Finalizers = nil
		update(t, leader, held)
		for _, m := range c.Members {
			_, err := m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "Namespace", Name: "lingering"})
			wantStatus(t, err, codes.NotFound, "lingering")
		}
	})

	t.Run("namespace defaults to default", func(t *testing.T) {
		out := create(t, f1, configMap("", "defaulted", nil, map[string]string{"k": "v"}))
		if ns := apimeta.Meta(out).GetNamespace(); ns != "default" {
			t.Fatalf("namespace %q, want default", ns)
		}
		got := get(t, f2, "ConfigMap", "", "defaulted")
		if !proto.Equal(got, out) {
			t.Errorf("Get without namespace returned %v", got)
		}
		in := proto.Clone(out).(*gantryv1.Object)
		apimeta.Meta(in).Namespace = ""
		in.GetConfigMap().Data["k"] = "w"
		up := update(t, leader, in)
		if apimeta.Meta(up).GetNamespace() != "default" || up.GetConfigMap().GetData()["k"] != "w" {
			t.Errorf("update without namespace: %v", up)
		}
		del(t, f1, "ConfigMap", "", "defaulted")
		_, err := leader.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: "ConfigMap", Namespace: "default", Name: "defaulted"})
		wantStatus(t, err, codes.NotFound)
		// Cluster-scoped kinds have no namespace at all.
		n := create(t, f2, node("stays-clusterwide"))
		if apimeta.Meta(n).GetNamespace() != "" {
			t.Errorf("node got namespace %q", apimeta.Meta(n).GetNamespace())
		}
		if !strings.Contains(strings.Join(names(listAll(t, leader, &gantryv1.ListRequest{Kind: "Node"})), ","), "stays-clusterwide") {
			t.Errorf("node missing from the node list")
		}
	})
}
