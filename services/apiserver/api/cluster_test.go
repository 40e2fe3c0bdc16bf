package api_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// checkStatus verifies one master's view of the cluster against the
// members' configs: three members, exactly one leader (want), addresses
// and applied indexes.
func checkStatus(m *testutil.Member, c *testutil.Cluster, want *testutil.Member, minApplied uint64) error {
	ctx, cancel := contextWithTimeout()
	defer cancel()
	st, err := m.Cluster.Status(ctx, &gantryv1.StatusRequest{})
	if err != nil {
		return fmt.Errorf("%s: status: %w", m.ID, err)
	}
	if st.GetServedBy() != m.ID {
		return fmt.Errorf("%s: served_by %q", m.ID, st.GetServedBy())
	}
	if st.GetLeaderId() != want.ID || st.GetLeaderAddress() != want.Cfg.Listen {
		return fmt.Errorf("%s: leader %q at %q, want %s at %s", m.ID, st.GetLeaderId(), st.GetLeaderAddress(), want.ID, want.Cfg.Listen)
	}
	if st.GetTerm() == 0 || st.GetCommitIndex() == 0 {
		return fmt.Errorf("%s: term %d, commit index %d", m.ID, st.GetTerm(), st.GetCommitIndex())
	}
	if len(st.GetMembers()) != len(c.Members) {
		return fmt.Errorf("%s: %d members, want %d: %v", m.ID, len(st.GetMembers()), len(c.Members), st.GetMembers())
	}
	leaders := 0
	for _, sm := range st.GetMembers() {
		var cfg *testutil.Member
		for _, cm := range c.Members {
			if cm.ID == sm.GetId() {
				cfg = cm
			}
		}
		if cfg == nil {
			return fmt.Errorf("%s: unknown member %q", m.ID, sm.GetId())
		}
		if sm.GetApiAddress() != cfg.Cfg.Listen || sm.GetRaftAddress() != cfg.Cfg.RaftListen || !sm.GetVoter() || sm.GetError() != "" {
			return fmt.Errorf("%s: member %v, want api %s raft %s voter", m.ID, sm, cfg.Cfg.Listen, cfg.Cfg.RaftListen)
		}
		switch sm.GetRole() {
		case "leader":
			leaders++
			if sm.GetId() != want.ID {
				return fmt.Errorf("%s: %s has role leader, want %s", m.ID, sm.GetId(), want.ID)
			}
		case "follower":
		default:
			return fmt.Errorf("%s: %s has role %q", m.ID, sm.GetId(), sm.GetRole())
		}
		if sm.GetAppliedIndex() < minApplied {
			return fmt.Errorf("%s: %s applied %d, want at least %d", m.ID, sm.GetId(), sm.GetAppliedIndex(), minApplied)
		}
	}
	if leaders != 1 {
		return fmt.Errorf("%s: %d leaders", m.ID, leaders)
	}
	return nil
}

// readSnapshot reads a whole Snapshot stream.
func readSnapshot(t *testing.T, m *testutil.Member) (index uint64, data []byte, chunks int) {
	t.Helper()
	stream, err := m.Cluster.Snapshot(ctxT(t), &gantryv1.SnapshotRequest{})
	if err != nil {
		t.Fatalf("%s: snapshot: %v", m.ID, err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return index, data, chunks
		}
		if err != nil {
			t.Fatalf("%s: snapshot chunk %d: %v", m.ID, chunks, err)
		}
		if chunks == 0 {
			index = resp.GetIndex()
		} else if resp.GetIndex() != 0 {
			t.Errorf("%s: chunk %d carries index %d; only the first should", m.ID, chunks, resp.GetIndex())
		}
		if len(resp.GetData()) == 0 {
			t.Errorf("%s: empty chunk %d", m.ID, chunks)
		}
		data = append(data, resp.GetData()...)
		chunks++
	}
}

// TestClusterService checks Status, Snapshot, ReadIndex and
// TransferLeadership.
func TestClusterService(t *testing.T) {
	c := newCluster(t)
	leader := c.Leader()
	fs := c.Followers()

	var last *gantryv1.Object
	for i := 0; i < 20; i++ {
		last = create(t, c.Members[i%3], configMap("default", fmt.Sprintf("cs-%02d", i), nil, map[string]string{"i": fmt.Sprint(i)}))
	}
	lastRV := rvNum(t, rvOf(last))

	t.Run("status", func(t *testing.T) {
		for _, m := range c.Members {
			testutil.Eventually(t, 5*time.Second, func() error { return checkStatus(m, c, leader, lastRV) })
			st, err := m.Cluster.Status(ctxT(t), &gantryv1.StatusRequest{Local: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.GetMembers()) != 1 || st.GetMembers()[0].GetId() != m.ID || st.GetMembers()[0].GetApiAddress() != m.Cfg.Listen {
				t.Errorf("%s: local status lists %v, want only itself", m.ID, st.GetMembers())
			}
			wantRole := "follower"
			if m == leader {
				wantRole = "leader"
			}
			if r := st.GetMembers()[0].GetRole(); r != wantRole {
				t.Errorf("%s: local role %q, want %q", m.ID, r, wantRole)
			}
		}
	})

	t.Run("snapshot", func(t *testing.T) {
		// A large object makes the backup span several chunks.
		create(t, leader, configMap("default", "cs-big", nil, map[string]string{"blob": string(bytes.Repeat([]byte("z"), 600<<10))}))
		for _, m := range []*testutil.Member{leader, fs[0]} {
			get(t, m, "ConfigMap", "default", "cs-big") // m has applied it
			// A second backup with nothing new in between works too.
			for round := 0; round < 2; round++ {
				index, data, chunks := readSnapshot(t, m)
				if index < lastRV || len(data) == 0 {
					t.Fatalf("%s: snapshot at index %d with %d bytes, want index >= %d and data", m.ID, index, len(data), lastRV)
				}
				if chunks < 2 {
					t.Errorf("%s: %d bytes in %d chunk(s), want several", m.ID, len(data), chunks)
				}
				// The backup restores into a store holding what was written.
				st := store.New(store.DefaultConfig())
				if err := st.Restore(bytes.NewReader(data)); err != nil {
					t.Fatalf("%s: restore the backup: %v", m.ID, err)
				}
				if st.Revision() < lastRV || st.Revision() > index {
					t.Errorf("%s: restored revision %d, want between %d and the snapshot index %d", m.ID, st.Revision(), lastRV, index)
				}
				for i := 0; i < 20; i++ {
					o, _, err := st.Get("ConfigMap", "default", fmt.Sprintf("cs-%02d", i))
					if err != nil || o.GetConfigMap().GetData()["i"] != fmt.Sprint(i) {
						t.Errorf("%s: restored cs-%02d: %v %v", m.ID, i, o, err)
					}
				}
				if _, _, err := st.Get("ConfigMap", "default", "cs-big"); err != nil {
					t.Errorf("%s: restored backup lacks cs-big: %v", m.ID, err)
				}
			}
		}
	})

	t.Run("read index is the leader's to answer", func(t *testing.T) {
		resp, err := leader.Cluster.ReadIndex(ctxT(t), &gantryv1.ReadIndexRequest{})
		if err != nil {
			t.Fatalf("leader read index: %v", err)
		}
		if resp.GetIndex() < lastRV {
			t.Errorf("leader read index %d, before the last write at %d", resp.GetIndex(), lastRV)
		}
		for _, f := range fs {
			_, err := f.Cluster.ReadIndex(ctxT(t), &gantryv1.ReadIndexRequest{})
			wantStatus(t, err, codes.Unavailable, "not the leader")
		}
	})

	t.Run("transfer leadership", func(t *testing.T) {
		// An unknown member fails, names the id, and moves nothing.
		_, err := fs[0].Cluster.TransferLeadership(ctxT(t), &gantryv1.TransferLeadershipRequest{Id: "m9"})
		if err == nil {
			t.Fatalf("transfer to an unknown member succeeded")
		}
		wantStatus(t, err, status.Code(err), `"m9"`)
		if l := c.Leader(); l != leader {
			t.Fatalf("a failed transfer moved leadership to %s", l.ID)
		}

		target, via := fs[1], fs[0]
		if _, err := via.Cluster.TransferLeadership(ctxT(t), &gantryv1.TransferLeadershipRequest{Id: target.ID}); err != nil {
			t.Fatalf("transfer leadership to %s through %s: %v", target.ID, via.ID, err)
		}
		for _, m := range c.Members {
			testutil.Eventually(t, 10*time.Second, func() error { return checkStatus(m, c, target, lastRV) })
		}
		if l := c.Leader(); l != target {
			t.Fatalf("leader %s, want %s", l.ID, target.ID)
		}
		// The new leader serves; the old one forwards.
		out := create(t, leader, configMap("default", "after-transfer", nil, nil))
		for _, m := range c.Members {
			if got := get(t, m, "ConfigMap", "default", "after-transfer"); !proto.Equal(got, out) {
				t.Errorf("%s: %v", m.ID, got)
			}
		}
		if _, err := leader.Cluster.ReadIndex(ctxT(t), &gantryv1.ReadIndexRequest{}); status.Code(err) != codes.Unavailable {
			t.Errorf("old leader answered ReadIndex: %v", err)
		}
	})
}

// TestHealthAndReflection checks the standard gRPC services every master
// serves.
func TestHealthAndReflection(t *testing.T) {
	c := newCluster(t)
	for _, m := range c.Members {
		conn, err := grpc.NewClient(m.Cfg.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()

		hc := healthpb.NewHealthClient(conn)
		// A master publishes its health from a 100 ms poll of its Raft
		// state, so it may still say NOT_SERVING just after it learned
		// the leader: wait for SERVING.
		for _, svc := range []string{"", "gantry.v1.ResourceService", "gantry.v1.ClusterService"} {
			testutil.Eventually(t, 10*time.Second, func() error {
				resp, err := hc.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: svc})
				if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					return fmt.Errorf("%s: health of %q: %v %v, want SERVING", m.ID, svc, resp.GetStatus(), err)
				}
				return nil
			})
		}
		_, err = hc.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: "no.such.Service"})
		wantStatus(t, err, codes.NotFound)

		stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("%s: reflection: %v", m.ID, err)
		}
		var services []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			services = append(services, s.GetName())
		}
		sort.Strings(services)
		for _, want := range []string{"gantry.v1.ClusterService", "gantry.v1.ResourceService", "grpc.health.v1.Health"} {
			if !slices.Contains(services, want) {
				t.Errorf("%s: reflection lists %v, missing %s", m.ID, services, want)
			}
		}

		// The descriptors are there too: a client can call Watch knowing
		// nothing but the server.
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "gantry.v1.ResourceService"}}); err != nil {
			t.Fatal(err)
		}
		resp, err = stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
			fd := &descriptorpb.FileDescriptorProto{}
			if err := proto.Unmarshal(raw, fd); err != nil {
				t.Fatal(err)
			}
			for _, svc := range fd.GetService() {
				if svc.GetName() != "ResourceService" {
					continue
				}
				for _, mth := range svc.GetMethod() {
					if mth.GetName() == "Watch" {
						found = mth.GetServerStreaming() && mth.GetOutputType() == ".gantry.v1.WatchResponse"
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: reflection has no server-streaming ResourceService.Watch", m.ID)
		}
		_ = stream.CloseSend()
	}
}
