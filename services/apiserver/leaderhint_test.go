package apiserver_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apistatus"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/testutil"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// TestWriteTrailersNameMemberAndLeader: every write's answer says which
// member answered and which leads, whether a follower forwarded it or the
// leader served it, and whether it succeeded or not.
func TestWriteTrailersNameMemberAndLeader(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	leader := c.Leader()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for i, m := range c.Members {
		var tr metadata.MD
		_, err := m.Resource.Create(ctx, &gantryv1.CreateRequest{Object: configMap(fmt.Sprintf("hint-%d", i))}, grpc.Trailer(&tr))
		if err != nil {
			t.Fatalf("create on %s: %v", m.ID, err)
		}
		checkHint(t, m.ID+" create", tr, m.ID, leader.ID)
		// A refused write carries the hints too.
		tr = nil
		_, err = m.Resource.Create(ctx, &gantryv1.CreateRequest{Object: configMap(fmt.Sprintf("hint-%d", i))}, grpc.Trailer(&tr))
		if err == nil {
			t.Fatalf("second create of hint-%d on %s succeeded", i, m.ID)
		}
		checkHint(t, m.ID+" refused create", tr, m.ID, leader.ID)
	}
	var tr metadata.MD
	if _, err := leader.Resource.Get(ctx, &gantryv1.GetRequest{Kind: "ConfigMap", Name: "hint-0"}, grpc.Trailer(&tr)); err != nil {
		t.Fatal(err)
	}
	if got := tr.Get(apistatus.LeaderTrailer); len(got) != 0 {
		t.Fatalf("a read carries leader hint %v; only writes should", got)
	}
}

func checkHint(t *testing.T, what string, tr metadata.MD, member, leader string) {
	t.Helper()
	if got := tr.Get(apistatus.MemberTrailer); len(got) != 1 || got[0] != member {
		t.Fatalf("%s: member trailer %v, want [%s]", what, got, member)
	}
	if got := tr.Get(apistatus.LeaderTrailer); len(got) != 1 || got[0] != leader {
		t.Fatalf("%s: leader trailer %v, want [%s]", what, got, leader)
	}
}

// TestClientSendsWritesToLeader: the client library learns the leader from
// the trailers and sends writes straight to it (no forwarding hop), keeps
// spreading reads, and follows a leadership transfer.
func TestClientSendsWritesToLeader(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	var addrs []string
	for _, m := range c.Members {
		addrs = append(addrs, m.Server().Addr())
	}
	rec := &peerRecorder{}
	cfg := client.DefaultConfig()
	cfg.Servers = addrs
	cfg.DialOptions = []grpc.DialOption{grpc.WithChainUnaryInterceptor(rec.intercept)}
	cl, err := client.New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	for round, transfer := range []bool{false, true} {
		if transfer {
			old := c.Leader()
			if _, err := old.Cluster.TransferLeadership(ctx, &gantryv1.TransferLeadershipRequest{}); err != nil {
				t.Fatalf("transfer leadership: %v", err)
			}
			testutil.Eventually(t, 20*time.Second, func() error {
				if l := readyLeader(c); l == nil || l.ID == old.ID {
					return fmt.Errorf("no new ready leader yet (was %s, now %s)", old.ID, idOf(l))
				}
				return nil
			})
		}
		leaderAddr := readyLeader(c).Server().Addr()
		// Writes go round robin until the leader's own address has answered
		// one (it says who it is); then they all go there.
		rec.reset()
		for i := 0; ; i++ {
			if w, _ := rec.counts(); w[leaderAddr] > 0 {
				break
			}
			if i == 50 {
				t.Fatalf("50 writes and none reached the leader %s", leaderAddr)
			}
			if _, err := cl.Create(ctx, configMap(fmt.Sprintf("warm-%d-%d", round, i))); err != nil {
				t.Fatalf("warm-up create: %v", err)
			}
		}
		rec.reset()
		for i := 0; i < 30; i++ {
			if _, err := cl.Create(ctx, configMap(fmt.Sprintf("routed-%d-%d", round, i))); err != nil {
				t.Fatalf("create: %v", err)
			}
			if _, err := cl.Get(ctx, "ConfigMap", "default", fmt.Sprintf("routed-%d-%d", round, i)); err != nil {
				t.Fatalf("get: %v", err)
			}
		}
		writes, reads := rec.counts()
		if writes[leaderAddr] != 30 || len(writes) != 1 {
			t.Fatalf("round %d: creates by master %v; want all 30 at the leader %s", round, writes, leaderAddr)
		}
		if len(reads) != len(addrs) {
			t.Fatalf("round %d: gets by master %v; want them spread over all %d masters", round, reads, len(addrs))
		}
	}
}

// peerRecorder counts calls per master address, writes and reads apart.
type peerRecorder struct {
	mu            sync.Mutex
	writes, reads map[string]int
}

func (r *peerRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes, r.reads = map[string]int{}, map[string]int{}
}

func (r *peerRecorder) counts() (writes, reads map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.writes), maps.Clone(r.reads)
}

func (r *peerRecorder) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var p peer.Peer
	err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Peer(&p))...)
	if err != nil || p.Addr == nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writes == nil {
		r.writes, r.reads = map[string]int{}, map[string]int{}
	}
	if apistatus.LeaderWrite(method) {
		r.writes[p.Addr.String()]++
	} else {
		r.reads[p.Addr.String()]++
	}
	return nil
}
