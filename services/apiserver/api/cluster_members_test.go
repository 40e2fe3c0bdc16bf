package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestNonvoterMembers: AddMember with nonvoter adds a member that does not
// vote (Status says so; the three voters keep their quorum though it never
// answers); a voter is not demoted that way; RemoveMember of an id that
// is not a member is NOT_FOUND and names the members.
func TestNonvoterMembers(t *testing.T) {
	c := newCluster(t)
	via := c.Followers()[0]
	ctx, cancel := contextWithTimeout()
	defer cancel()
	// Nothing listens there: a nonvoter that never answers costs nothing.
	raftAddr, apiAddr := testutil.FreeAddr(t), testutil.FreeAddr(t)
	resp, err := via.Cluster.AddMember(ctx, &gantryv1.AddMemberRequest{Id: "m4", RaftAddress: raftAddr, ApiAddress: apiAddr, Nonvoter: true})
	if err != nil {
		t.Fatalf("AddMember m4 as a nonvoter: %v", err)
	}
	if got := describeMembers(resp.GetMembers()); !strings.Contains(got, "m4:nonvoter") {
		t.Fatalf("AddMember answered %s, want m4 a nonvoter", got)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		st, err := via.Cluster.Status(ctx, &gantryv1.StatusRequest{})
		if err != nil {
			return err
		}
		for _, m := range st.GetMembers() {
			if m.GetId() == "m4" && (m.GetVoter() || m.GetApiAddress() != apiAddr || m.GetError() == "") {
				return fmt.Errorf("m4 in Status: %v; want a nonvoter at %s that is unreachable", m, apiAddr)
			}
		}
		return nil
	})
	mustCreateVia(t, c.Leader(), "with-a-nonvoter")

	_, err = via.Cluster.AddMember(ctx, &gantryv1.AddMemberRequest{Id: "m1", RaftAddress: c.Members[0].Cfg.RaftListen, ApiAddress: c.Members[0].Cfg.Listen, Nonvoter: true})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), `"m1" is a voter`) {
		t.Fatalf("AddMember of voter m1 as a nonvoter: %v, want FAILED_PRECONDITION", err)
	}

	if _, err := via.Cluster.RemoveMember(ctx, &gantryv1.RemoveMemberRequest{Id: "m4"}); err != nil {
		t.Fatalf("RemoveMember m4: %v", err)
	}
	_, err = via.Cluster.RemoveMember(ctx, &gantryv1.RemoveMemberRequest{Id: "m4"})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "m1, m2, m3") {
		t.Fatalf("RemoveMember m4 again: %v, want NOT_FOUND naming the members", err)
	}
}

func describeMembers(ms []*gantryv1.Member) string {
	var out []string
	for _, m := range ms {
		role := "voter"
		if !m.GetVoter() {
			role = "nonvoter"
		}
		out = append(out, m.GetId()+":"+role)
	}
	return strings.Join(out, " ")
}

func mustCreateVia(t *testing.T, m *testutil.Member, name string) {
	t.Helper()
	ctx, cancel := contextWithTimeout()
	defer cancel()
	if _, err := m.Resource.Create(ctx, &gantryv1.CreateRequest{Object: configMap("default", name, nil, nil)}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}
