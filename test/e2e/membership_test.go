package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// TestSIGTERMLeaderHandsOver: a leader told to stop with SIGTERM hands
// leadership to another master and exits 0; the cluster keeps serving
// writes with the two that remain.
func TestSIGTERMLeaderHandsOver(t *testing.T) {
	c := startCluster(t, 3)
	cl := c.client()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := cl.Create(ctx, configMap("before", nil, map[string]string{"k": "v"})); err != nil {
		t.Fatal(err)
	}
	oldLeader, err := c.leader()
	if err != nil {
		t.Fatal(err)
	}
	p := c.lc.Master(oldLeader)
	termAt := time.Now()
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !p.Wait(30 * time.Second) {
		t.Fatalf("%s still running 30s after SIGTERM", oldLeader)
	}
	exitedAfter := time.Since(termAt)
	if code, _ := p.ExitCode(); code != 0 {
		t.Fatalf("%s exited with %d after SIGTERM, want 0", oldLeader, code)
	}
	log := readLog(t, p)
	if !strings.Contains(log, "transferring leadership before shutdown") {
		t.Errorf("%s's log does not show a leadership transfer", oldLeader)
	}
	if strings.Contains(log, "leadership transfer failed") {
		t.Errorf("%s's leadership transfer failed (see its log)", oldLeader)
	}

	survivors := slices.DeleteFunc(c.ids(), func(id string) bool { return id == oldLeader })
	var newLeader string
	waitFor(t, 30*time.Second, "the survivors to agree on a new leader", func() error {
		var err error
		if newLeader, err = c.leaderAmong(survivors); err == nil && newLeader == oldLeader {
			err = fmt.Errorf("survivors still name %s", oldLeader)
		}
		return err
	})
	t.Logf("%s exited 0 %s after SIGTERM; %s leads (known to both survivors %s after SIGTERM)",
		oldLeader, exitedAfter.Round(time.Millisecond), newLeader, time.Since(termAt).Round(time.Millisecond))

	// Writes work, through the failover client over all three (one is
	// gone) and through each survivor alone.
	if _, err := cl.Create(ctx, configMap("after", nil, map[string]string{"k": "v"})); err != nil {
		t.Fatalf("write after the handover: %v", err)
	}
	for _, id := range survivors {
		only := c.client(id)
		name := "via-" + id
		if _, err := only.Create(ctx, configMap(name, nil, nil)); err != nil {
			t.Fatalf("write through %s: %v", id, err)
		}
		for _, want := range []string{"before", "after", name} {
			if _, err := only.Get(ctx, apimeta.KindConfigMap, "default", want); err != nil {
				t.Fatalf("read %s from %s: %v", want, id, err)
			}
		}
	}
}

// TestJoinFourthMaster: "gantry apiserver --join" adds a fourth master to a
// running cluster; it becomes a voting member, serves the data written
// before it joined, and takes writes.
func TestJoinFourthMaster(t *testing.T) {
	c := startCluster(t, 3)
	cl := c.client()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const n = 50
	for i := 0; i < n; i++ {
		if _, err := cl.Create(ctx, configMap(fmt.Sprintf("old-%d", i), map[string]string{"set": "old"}, map[string]string{"i": fmt.Sprint(i)})); err != nil {
			t.Fatal(err)
		}
	}

	p, err := c.lc.AddMaster(nil)
	if err != nil {
		t.Fatal(err)
	}
	id := p.Name
	waitFor(t, 60*time.Second, "Status to list four voting members", func() error {
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		st, err := c.cluster("m1").Status(sctx, &gantryv1.StatusRequest{})
		if err != nil {
			return err
		}
		if len(st.GetMembers()) != 4 {
			return fmt.Errorf("%d members: %v", len(st.GetMembers()), st.GetMembers())
		}
		for _, m := range st.GetMembers() {
			if !m.GetVoter() || m.GetApiAddress() == "" || (m.GetRole() != "leader" && m.GetRole() != "follower") {
				return fmt.Errorf("member %s not ready: %v", m.GetId(), m)
			}
		}
		return nil
	})
	if !p.Running() {
		t.Fatalf("%s exited", id)
	}

	// Reads of existing data, from the new master alone (a client that
	// knows only it): linearizable (read index from the leader) and stale
	// (its own state, once caught up).
	only := c.client(id)
	list, err := only.List(ctx, &gantryv1.ListRequest{Kind: apimeta.KindConfigMap, LabelSelector: "set=old"})
	if err != nil {
		t.Fatalf("List on %s: %v", id, err)
	}
	if len(list.GetItems()) != n {
		t.Fatalf("%s lists %d objects written before it joined, want %d", id, len(list.GetItems()), n)
	}
	got, err := only.Resources().Get(ctx, &gantryv1.GetRequest{Kind: apimeta.KindConfigMap, Namespace: "default", Name: "old-7",
		Consistency: gantryv1.Consistency_CONSISTENCY_STALE, MinResourceVersion: list.GetResourceVersion()})
	if err != nil || got.GetObject().GetConfigMap().GetData()["i"] != "7" {
		t.Fatalf("stale Get on %s = %v, %v", id, got, err)
	}

	// It takes writes (forwarded to the leader) and the others see them.
	if _, err := only.Create(ctx, configMap("new", nil, nil)); err != nil {
		t.Fatalf("write through %s: %v", id, err)
	}
	if _, err := c.res("m1").Get(ctx, &gantryv1.GetRequest{Kind: apimeta.KindConfigMap, Namespace: "default", Name: "new"}); err != nil {
		t.Fatalf("read the write made through %s from m1: %v", id, err)
	}

	// Its HTTP endpoint is ready.
	httpAddr := c.lc.HTTPAddrs()[3]
	waitFor(t, 10*time.Second, id+" /readyz", func() error {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, b)
		}
		return nil
	})
	objs := c.waitConverged(30 * time.Second)
	t.Logf("four masters converged with %d ConfigMaps", len(objs[apimeta.KindConfigMap]))
}
