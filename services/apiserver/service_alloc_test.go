package apiserver_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
	"github.com/gantryio/gantry/services/apiserver/servicenet"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tinyServiceRanges leave 61 cluster IPs (a /26 less network, broadcast
// and the reserved first address) and 100 node ports: a master that lost
// track of what is allocated would soon hand something out twice.
func tinyServiceRanges(cfg *apiserver.Config) {
	smallSnapshots(cfg)
	r, err := servicenet.Parse("10.96.0.0/26", "30000-30099")
	if err != nil {
		panic(err)
	}
	cfg.API.ServiceNetwork = r
}

func nodePortService(name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &gantryv1.ServiceSpec{Type: "NodePort", Selector: map[string]string{"app": name},
			Ports: []*gantryv1.ServicePort{{Name: "http", Port: 80}}},
	})
}

// createServices creates NodePort Services "<prefix><i>" through members
// in turn, four at a time, retrying what a leader change makes
// UNAVAILABLE. ALREADY_EXISTS after such a retry means the first attempt
// went through.
func createServices(t *testing.T, members []*testutil.Member, prefix string, n int) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := createService(t.Context(), members[i%len(members)], fmt.Sprintf("%s%d", prefix, i)); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d service creates failed; first: %v", len(errs), n, errs[0])
	}
}

func createService(ctx context.Context, m *testutil.Member, name string) error {
	deadline := time.Now().Add(20 * time.Second)
	for retried := false; ; retried = true {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := m.Resource.Create(cctx, &gantryv1.CreateRequest{Object: nodePortService(name)})
		cancel()
		switch {
		case err == nil, retried && status.Code(err) == codes.AlreadyExists:
			return nil
		case !retryableWriteError(err) && status.Code(err) != codes.DeadlineExceeded, time.Now().After(deadline):
			return fmt.Errorf("create service %s through %s: %w", name, m.ID, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkServiceAllocations lists the Services on m and fails on any cluster
// IP or node port held twice or outside the ranges; it returns how many
// Services there are.
func checkServiceAllocations(t *testing.T, m *testutil.Member) int {
	t.Helper()
	items, _, err := listAll(t.Context(), m.Resource, apimeta.KindService, gantryv1.Consistency_CONSISTENCY_STALE)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := servicenet.Parse("10.96.0.0/26", "30000-30099")
	ips, ports := map[string]string{}, map[int32]string{}
	for _, o := range items {
		name, spec := apimeta.Meta(o).GetName(), o.GetService().GetSpec()
		ip := spec.GetClusterIp()
		if a, err := netip.ParseAddr(ip); err != nil || !r.ClusterIPs.Contains(a) || ip == "10.96.0.1" {
			t.Fatalf("%s: service %s has cluster IP %q, outside %s or reserved", m.ID, name, ip, r.ClusterIPs)
		}
		if prev, dup := ips[ip]; dup {
			t.Fatalf("%s: cluster IP %s is held by both %s and %s", m.ID, ip, prev, name)
		}
		ips[ip] = name
		for _, p := range spec.GetPorts() {
			np := p.GetNodePort()
			if !r.NodePorts.Contains(np) {
				t.Fatalf("%s: service %s has node port %d, outside %s", m.ID, name, np, r.NodePorts)
			}
			if prev, dup := ports[np]; dup {
				t.Fatalf("%s: node port %d is held by both %s and %s", m.ID, np, prev, name)
			}
			ports[np] = name
		}
	}
	return len(items)
}

// TestServiceAllocationAcrossFailover: cluster IPs and node ports are
// decided inside the replicated state machine, so creates through every
// master, a leader crash, deletes and reuse, and a master that catches up
// from a snapshot and then leads never hand anything out twice.
func TestServiceAllocationAcrossFailover(t *testing.T) {
	c := testutil.NewCluster(t, 3, tinyServiceRanges)
	old := c.Leader()
	createServices(t, c.Members, "before-", 20)
	checkServiceAllocations(t, old)

	c.Crash(old)
	survivors := running(c)
	createServices(t, survivors, "after-", 20)
	leader := readyLeader(c)
	if leader == nil || leader == old {
		t.Fatalf("no new leader after the crash (ready leader %s)", idOf(leader))
	}
	for i := 0; i < 4; i++ {
		if _, err := leader.Resource.Delete(t.Context(), &gantryv1.DeleteRequest{Kind: apimeta.KindService, Namespace: "default",
			Name: fmt.Sprintf("before-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	createServices(t, survivors, "reused-", 4)

	// Enough writes while old is down that it can only catch up from a
	// snapshot, which must bring the allocations with it.
	bound := rvOf(t, mustCreate(t, leader.Resource, "bound"))
	createMany(t, leader.Resource, "filler-", 300, 8)
	testutil.Eventually(t, 20*time.Second, func() error {
		if idx := maxSnapshotIndex(leader); idx < bound+old.Cfg.Raft.TrailingLogs {
			return fmt.Errorf("leader %s's newest snapshot is at %d, want >= %d", leader.ID, idx, bound+old.Cfg.Raft.TrailingLogs)
		}
		return nil
	})
	c.Start(old)
	converged(t, c, 30*time.Second)
	if floor := old.Server().Store().Events().Floor(); floor <= bound {
		t.Fatalf("%s's event log starts at %d: it replayed the log instead of installing a snapshot past %d", old.ID, floor, bound)
	}

	// The restarted master leads and allocates from its restored index.
	if _, err := leader.Cluster.TransferLeadership(t.Context(), &gantryv1.TransferLeadershipRequest{Id: old.ID}); err != nil {
		t.Fatalf("transfer leadership to %s: %v", old.ID, err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if l := readyLeader(c); l != old {
			return fmt.Errorf("ready leader is %s, want %s", idOf(l), old.ID)
		}
		return nil
	})
	createServices(t, c.Members, "rejoined-", 10)

	converged(t, c, 30*time.Second)
	for _, m := range c.Members {
		if n := checkServiceAllocations(t, m); n != 50 {
			t.Fatalf("%s holds %d services, want 50", m.ID, n)
		}
	}
	// The ranges are nearly used up: 11 cluster IPs are left, so twelve
	// more Services end with a clear RESOURCE_EXHAUSTED.
	createServices(t, c.Members, "last-", 11)
	_, err := old.Resource.Create(t.Context(), &gantryv1.CreateRequest{Object: nodePortService("one-too-many")})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("create past the end of the range: %v, want RESOURCE_EXHAUSTED", err)
	}
	t.Logf("past the end of the range: %v", err)
}
