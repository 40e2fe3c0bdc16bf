package apiserver_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
)

// TestNonvoterMaster: the documented way to add a nonvoter — AddMember
// with nonvoter, then start the master with neither --join nor
// --initial-cluster — gives a master that receives the data and serves
// it but does not vote, and that starting it does not promote; AddMember
// without nonvoter then promotes it.
func TestNonvoterMaster(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	createMany(t, c.Leader().Resource, "cm-", 20, 4)
	via := c.Followers()[0]

	cfg := apiserver.DefaultConfig()
	cfg.ID, cfg.DataDir = "m4", filepath.Join(t.TempDir(), "m4")
	cfg.Listen, cfg.RaftListen = testutil.FreeAddr(t), testutil.FreeAddr(t)
	add := &gantryv1.AddMemberRequest{Id: "m4", RaftAddress: cfg.RaftListen, ApiAddress: cfg.Listen, Nonvoter: true}
	if _, err := via.Cluster.AddMember(t.Context(), add); err != nil {
		t.Fatalf("AddMember m4 as a nonvoter: %v", err)
	}
	m4 := &testutil.Member{ID: cfg.ID, Cfg: cfg}
	c.Members = append(c.Members, m4)
	c.Start(m4)

	state, _ := converged(t, c, 20*time.Second)
	if n := countKind(state, apimeta.KindConfigMap); n != 20 {
		t.Fatalf("%d ConfigMaps on all four members, want 20", n)
	}
	mustCreate(t, m4.Resource, "via-m4")
	m4Is := func(voter bool, role string) func() error {
		return func() error {
			st, err := statusOf(t.Context(), c.Leader())
			if err != nil {
				return err
			}
			for _, m := range st.GetMembers() {
				if m.GetId() != "m4" {
					continue
				}
				if m.GetVoter() != voter || m.GetRole() != role || m.GetError() != "" || m.GetApiAddress() != cfg.Listen {
					return fmt.Errorf("m4 in Status: %v; want voter=%v role %s at %s", m, voter, role, cfg.Listen)
				}
				return nil
			}
			return fmt.Errorf("m4 not in Status: %v", st.GetMembers())
		}
	}
	testutil.Eventually(t, 10*time.Second, m4Is(false, "nonvoter"))

	add.Nonvoter = false
	if _, err := via.Cluster.AddMember(t.Context(), add); err != nil {
		t.Fatalf("AddMember m4 as a voter: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, m4Is(true, "follower"))
}
