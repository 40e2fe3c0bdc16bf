package replicaset

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestCreatesAndDeletesAreRecorded(t *testing.T) {
	w := ctrltest.NewWorld()
	rec := events.NewFake(100)
	c, err := New(DefaultConfig(), Deps{Client: w, ReplicaSets: w.Cache(apimeta.KindReplicaSet), Pods: w.Cache(apimeta.KindPod),
		Clock: w.Clock, Recorder: rec}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.queue.ShutDown)
	f := &fixture{t: t, world: w, c: c}
	w.Seed(newRS("web", 3, "web"))
	f.mustReconcile("default/web")
	var want []string
	for _, p := range f.pods() {
		want = append(want, "Normal SuccessfulCreate Created pod: "+p.GetMetadata().GetName())
	}
	if got := sorted(rec.Drain()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after scaling up: %q, want %q", got, want)
	}

	w.Sync()
	w.Mutate(apimeta.KindReplicaSet, "default", "web", func(o *gantryv1.Object) { o.GetReplicaSet().Spec.Replicas = int32p(2) })
	w.Sync()
	w.ResetActions()
	f.mustReconcile("default/web")
	var deleted string
	for _, a := range w.Actions() {
		if a.Verb == "delete" {
			deleted = strings.TrimPrefix(a.Key, "default/")
		}
	}
	if got := rec.Drain(); len(got) != 1 || got[0] != "Normal SuccessfulDelete Deleted pod: "+deleted {
		t.Errorf("after scaling down: %q, want the delete of %s", got, deleted)
	}

	w.Sync()
	w.Mutate(apimeta.KindReplicaSet, "default", "web", func(o *gantryv1.Object) { o.GetReplicaSet().Spec.Replicas = int32p(3) })
	w.Sync()
	w.Fail = func(a ctrltest.Action) error {
		if a.Verb == "create" {
			return status.Error(codes.ResourceExhausted, "quota")
		}
		return nil
	}
	_ = f.reconcile("default/web")
	if got := rec.Drain(); len(got) != 1 || !strings.HasPrefix(got[0], "Warning FailedCreate Error creating: ") || !strings.Contains(got[0], "quota") {
		t.Errorf("after a failed create: %q", got)
	}
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
