package apiserver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/protobuf/proto"
)

// TestFullClusterRestart: stop every master, start them again from their
// data directories: every object is back with the same resource_version,
// the default namespace exists and writes work again.
func TestFullClusterRestart(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	leader := c.Leader()
	createMany(t, leader.Resource, "cm-", 60, 4)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// Some updates and deletes, so versions are not just creation order.
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("cm-%d", i)
		got, err := leader.Resource.Get(ctx, &gantryv1.GetRequest{Kind: apimeta.KindConfigMap, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		cm := proto.Clone(got.GetObject()).(*gantryv1.Object)
		cm.GetConfigMap().Data["updated"] = "yes"
		if _, err := c.Followers()[i%2].Resource.Update(ctx, &gantryv1.UpdateRequest{Object: cm}); err != nil {
			t.Fatalf("update %s: %v", name, err)
		}
	}
	for i := 10; i < 15; i++ {
		if _, err := leader.Resource.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindConfigMap, Name: fmt.Sprintf("cm-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	before, rev := converged(t, c, 10*time.Second)
	if n := countKind(before, apimeta.KindConfigMap); n != 55 {
		t.Fatalf("%d ConfigMaps before the restart, want 55", n)
	}

	c.StopAll()
	for _, m := range c.Members {
		if m.Running {
			t.Fatalf("%s still running after StopAll", m.ID)
		}
	}
	for _, m := range c.Members {
		c.Start(m)
	}
	newLeader := c.Leader()
	after, rev2 := converged(t, c, 20*time.Second)
	t.Logf("before: revision %d, %d objects; after restart: revision %d, %d objects, leader %s (was %s)",
		rev, len(before), rev2, len(after), newLeader.ID, leader.ID)
	if d := diff(before, after); d != "" || rev2 != rev {
		t.Fatalf("state after a full restart differs (revision %d -> %d): %s", rev, rev2, d)
	}

	got, err := c.Followers()[0].Resource.Get(ctx, &gantryv1.GetRequest{Kind: apimeta.KindNamespace, Name: "default"})
	if err != nil || apimeta.Meta(got.GetObject()).GetName() != "default" {
		t.Fatalf("namespace default after restart: %v, %v", got, err)
	}
	for i, m := range c.Members {
		o, err := create(ctx, m.Resource, fmt.Sprintf("after-%d", i), 10*time.Second)
		if err != nil {
			t.Fatalf("write through %s after the restart: %v", m.ID, err)
		}
		if rvOf(t, o) <= rev {
			t.Errorf("write after the restart got rv %d, not past the old revision %d", rvOf(t, o), rev)
		}
	}
	final, _ := converged(t, c, 10*time.Second)
	if n := countKind(final, apimeta.KindConfigMap); n != 58 {
		t.Errorf("%d ConfigMaps after the new writes, want 58", n)
	}
}

func countKind(d dump, kind string) int {
	n := 0
	for _, o := range d {
		if apimeta.KindOf(o) == kind {
			n++
		}
	}
	return n
}
