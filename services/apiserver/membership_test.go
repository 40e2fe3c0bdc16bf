package apiserver_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
)

// statusOf asks m for the cluster status.
func statusOf(ctx context.Context, m *testutil.Member) (*gantryv1.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return m.Cluster.Status(ctx, &gantryv1.StatusRequest{})
}

// members renders a status's member list as "id=api_address" sorted.
func members(st *gantryv1.StatusResponse) string {
	var out []string
	for _, m := range st.GetMembers() {
		out = append(out, fmt.Sprintf("%s=%s", m.GetId(), m.GetApiAddress()))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// wantMembers waits until every running member reports exactly want.
func wantMembers(t testing.TB, c *testutil.Cluster, want string) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, func() error {
		for _, m := range running(c) {
			st, err := statusOf(t.Context(), m)
			if err != nil {
				return fmt.Errorf("status from %s: %w", m.ID, err)
			}
			if got := members(st); got != want {
				return fmt.Errorf("%s lists members %s, want %s", m.ID, got, want)
			}
		}
		return nil
	})
}

// memberList renders the running members, leaving out except, as
// members renders a status.
func memberList(c *testutil.Cluster, except ...*testutil.Member) string {
	var out []string
	for _, m := range running(c) {
		if !slices.Contains(except, m) {
			out = append(out, fmt.Sprintf("%s=%s", m.ID, m.Cfg.Listen))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// TestAddAndRemoveMember: a fourth master started with --join joins the
// running cluster, shows up in Status with its API address, receives the
// data and serves it; RemoveMember takes it out again.
func TestAddAndRemoveMember(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	createMany(t, c.Leader().Resource, "cm-", 40, 4)
	via := c.Followers()[0] // AddMember is forwarded to the leader

	cfg := apiserver.DefaultConfig()
	cfg.ID, cfg.DataDir = "m4", filepath.Join(t.TempDir(), "m4")
	cfg.Listen, cfg.RaftListen = testutil.FreeAddr(t), testutil.FreeAddr(t)
	cfg.Join = []string{via.Cfg.Listen}
	m4 := &testutil.Member{ID: cfg.ID, Cfg: cfg}
	c.Members = append(c.Members, m4)
	c.Start(m4)

	wantMembers(t, c, memberList(c))
	st, err := statusOf(t.Context(), m4)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st.GetMembers() {
		if !m.GetVoter() || m.GetError() != "" || (m.GetRole() != "leader" && m.GetRole() != "follower") {
			t.Errorf("status from m4: member %s voter=%v role=%q error=%q", m.GetId(), m.GetVoter(), m.GetRole(), m.GetError())
		}
	}
	state, rev := converged(t, c, 20*time.Second)
	if n := countKind(state, apimeta.KindConfigMap); n != 40 {
		t.Fatalf("%d ConfigMaps on all four members, want 40", n)
	}
	got, err := m4.Resource.Get(t.Context(), &gantryv1.GetRequest{Kind: apimeta.KindConfigMap, Name: "cm-39"})
	if err != nil || rvOf(t, got.GetObject()) > rev {
		t.Fatalf("linearizable read of cm-39 from m4: %v, %v", got, err)
	}
	mustCreate(t, m4.Resource, "via-m4")

	// Remove it, asking m4 itself: the call is forwarded to the leader, and
	// the answer must list the members after the change, which the leader
	// knows and m4 may not know yet.
	resp, err := m4.Cluster.RemoveMember(t.Context(), &gantryv1.RemoveMemberRequest{Id: "m4"})
	if err != nil {
		t.Fatalf("RemoveMember m4: %v", err)
	}
	if got := members(&gantryv1.StatusResponse{Members: resp.GetMembers()}); got != memberList(c, m4) {
		t.Errorf("RemoveMember answered members %s, want %s", got, memberList(c, m4))
	}
	c.Stop(m4)
	wantMembers(t, c, memberList(c))
	if n := len(running(c)); n != 3 {
		t.Fatalf("%d members running, want 3", n)
	}
	mustCreate(t, c.Followers()[0].Resource, "after-remove")
	converged(t, c, 10*time.Second)
}

// TestTransferLeadershipToNamedMember: TransferLeadership, sent to any
// master, makes the named member the leader.
func TestTransferLeadershipToNamedMember(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	old := c.Leader()
	fs := c.Followers()
	target, via := fs[0], fs[1] // asked through a third member: forwarded
	resp, err := via.Cluster.TransferLeadership(t.Context(), &gantryv1.TransferLeadershipRequest{Id: target.ID})
	if err != nil {
		t.Fatalf("TransferLeadership to %s: %v", target.ID, err)
	}
	if resp.GetLeaderId() != target.ID {
		t.Errorf("TransferLeadership to %s answered leader %q", target.ID, resp.GetLeaderId())
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if l := readyLeader(c); l != target {
			return fmt.Errorf("ready leader is %s, want %s", idOf(l), target.ID)
		}
		for _, m := range c.Members {
			st, err := statusOf(t.Context(), m)
			if err != nil {
				return err
			}
			if st.GetLeaderId() != target.ID || st.GetLeaderAddress() != target.Cfg.Listen {
				return fmt.Errorf("%s says the leader is %s at %s", m.ID, st.GetLeaderId(), st.GetLeaderAddress())
			}
		}
		return nil
	})
	mustCreate(t, old.Resource, "after-transfer")

	// Naming a member that does not exist fails and changes nothing.
	if _, err := old.Cluster.TransferLeadership(t.Context(), &gantryv1.TransferLeadershipRequest{Id: "nope"}); err == nil {
		t.Errorf("TransferLeadership to an unknown member succeeded")
	}
	if l := readyLeader(c); l != target {
		t.Errorf("after a refused transfer the leader is %s, want %s", idOf(l), target.ID)
	}
}
