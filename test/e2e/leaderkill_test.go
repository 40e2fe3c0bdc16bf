package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// TestLeaderKillDuringWrites: writers create objects continuously through
// the failover client while the leader process is SIGKILLed; writes go on
// through the survivors; the killed master restarts with the same flags
// and data; all three converge to identical state that holds every
// acknowledged write.
func TestLeaderKillDuringWrites(t *testing.T) {
	const (
		numWriters   = 4
		numWatches   = 3
		beforeKill   = 300 // acknowledged writes before the kill
		whileDown    = 600 // ... while the old leader is down
		afterRestart = 300 // ... after it restarted
	)
	c := startCluster(t, 3)
	cl := c.client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Watches of the writers' objects from before the first write: one
	// starts on the leader (to be killed) and must resume elsewhere, the
	// others are spread over the masters by the client.
	leaderAtStart, err := c.leader()
	if err != nil {
		t.Fatal(err)
	}
	list, err := cl.List(ctx, &gantryv1.ListRequest{Kind: apimeta.KindConfigMap, LabelSelector: writerLabel})
	if err != nil {
		t.Fatal(err)
	}
	req := &gantryv1.WatchRequest{Kind: apimeta.KindConfigMap, LabelSelector: writerLabel, ResourceVersion: list.GetResourceVersion(), AllowBookmarks: true}
	watches := []*watchRecorder{startPinnedWatchRecorder(ctx, cl, c.res(leaderAtStart), req)}
	for i := 1; i < numWatches; i++ {
		watches = append(watches, startWatchRecorder(ctx, cl, req))
	}

	w := startWriters(cl, numWriters)
	stopped := false
	defer func() {
		if !stopped {
			w.stop()
		}
	}()
	start := time.Now()
	waitFor(t, 60*time.Second, fmt.Sprintf("%d acknowledged writes", beforeKill), func() error {
		if n := w.ackedSince(start); n < beforeKill {
			return fmt.Errorf("%d acknowledged", n)
		}
		return nil
	})

	oldLeader, err := c.leader()
	if err != nil {
		t.Fatal(err)
	}
	victim := c.lc.Master(oldLeader)
	killedAt := time.Now()
	victim.Kill() // SIGKILL, waits for the exit
	if victim.Running() {
		t.Fatalf("%s survived SIGKILL", oldLeader)
	}
	t.Logf("SIGKILLed the leader %s (pid gone) after %d acknowledged writes; watch 0 started on %s", oldLeader, w.ackedSince(start), leaderAtStart)

	survivors := slices.DeleteFunc(c.ids(), func(id string) bool { return id == oldLeader })
	var newLeader string
	waitFor(t, 30*time.Second, "a new leader among the survivors", func() error {
		var err error
		newLeader, err = c.leaderAmong(survivors)
		if err == nil && newLeader == oldLeader {
			err = fmt.Errorf("survivors still follow %s", oldLeader)
		}
		return err
	})
	electedAfter := time.Since(killedAt)
	waitFor(t, 90*time.Second, fmt.Sprintf("%d acknowledged writes through the survivors", whileDown), func() error {
		if n := w.ackedSince(killedAt); n < whileDown {
			return fmt.Errorf("%d acknowledged since the kill", n)
		}
		return nil
	})
	firstAck, _ := w.firstAckAfter(killedAt)
	t.Logf("new leader %s known to both survivors within %s; first write started after the kill acknowledged %s after it",
		newLeader, electedAfter.Round(time.Millisecond), firstAck.Sub(killedAt).Round(time.Millisecond))

	restartedAt := time.Now()
	if err := victim.Start(); err != nil {
		t.Fatalf("restart %s: %v", oldLeader, err)
	}
	waitFor(t, 90*time.Second, fmt.Sprintf("%d acknowledged writes after the restart", afterRestart), func() error {
		if n := w.ackedSince(restartedAt); n < afterRestart {
			return fmt.Errorf("%d acknowledged since the restart", n)
		}
		return nil
	})
	waitFor(t, 60*time.Second, oldLeader+" to serve as a member again", func() error {
		m, _, err := c.localStatus(oldLeader)
		if err != nil {
			return err
		}
		if m.GetRole() != "follower" && m.GetRole() != "leader" {
			return fmt.Errorf("%s is %s", oldLeader, m.GetRole())
		}
		return nil
	})
	w.stop()
	stopped = true

	gap, gapFrom := w.longestGap(time.Time{})
	gapRestart, gapRestartFrom := w.longestGap(restartedAt)
	w.mu.Lock()
	acked, uncertain, bad, codes := len(w.acked), len(w.uncertain), w.bad, fmt.Sprint(w.errCodes)
	w.mu.Unlock()
	t.Logf("writes: %d acknowledged, %d with unknown outcome, errors by code %s", acked, uncertain, codes)
	t.Logf("longest gap without an acknowledged write: %s, starting %s after the kill (the restart was %s after it)",
		gap.Round(time.Millisecond), gapFrom.Sub(killedAt).Round(time.Millisecond), restartedAt.Sub(killedAt).Round(time.Millisecond))
	t.Logf("longest gap after the restart: %s, starting %s after the restart", gapRestart.Round(time.Millisecond), gapRestartFrom.Sub(restartedAt).Round(time.Millisecond))
	if len(bad) > 0 {
		t.Errorf("%d writes failed in ways no correct cluster fails them, e.g. %s", len(bad), bad[0])
	}

	objs := c.waitConverged(60 * time.Second)
	t.Logf("all three masters converged: %d ConfigMaps", len(objs[apimeta.KindConfigMap]))

	// Every acknowledged write is present, with what was written; nothing
	// is present that was never attempted.
	present := map[string]string{}
	for _, o := range objs[apimeta.KindConfigMap] {
		m := apimeta.Meta(o)
		if _, ok := m.GetLabels()[writerLabel]; ok {
			present[m.GetName()] = o.GetConfigMap().GetData()["seq"]
		}
	}
	var lost []string
	for name, seq := range w.acked {
		if got, ok := present[name]; !ok || got != seq {
			lost = append(lost, name)
		}
	}
	var phantom []string
	applied := 0
	for name := range present {
		_, ok := w.acked[name]
		switch {
		case ok:
		case w.uncertain[name]:
			applied++
		default:
			phantom = append(phantom, name)
		}
	}
	sort.Strings(lost)
	sort.Strings(phantom)
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged writes lost: %s", len(lost), acked, strings.Join(first(lost, 20), " "))
	}
	if len(phantom) > 0 {
		t.Errorf("%d objects that no writer attempted: %s", len(phantom), strings.Join(first(phantom, 20), " "))
	}
	t.Logf("none of %d acknowledged writes lost; %d of %d writes with unknown outcome were applied", acked, applied, uncertain)

	// Every watch delivered every object that exists, once, in order.
	want := map[string]uint64{}
	for _, o := range objs[apimeta.KindConfigMap] {
		m := apimeta.Meta(o)
		if _, ok := m.GetLabels()[writerLabel]; ok {
			want[m.GetName()], _ = apimeta.ParseResourceVersion(m.GetResourceVersion())
		}
	}
	for i, r := range watches {
		waitFor(t, 30*time.Second, fmt.Sprintf("watch %d to deliver every object once", i), func() error { return r.check(want) })
	}
	t.Logf("%d watches each delivered all %d objects once, in resource_version order", len(watches), len(want))
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
