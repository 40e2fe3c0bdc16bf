package api

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
	"google.golang.org/grpc"
)

// memberProbeTimeout bounds asking another master for its own status.
const memberProbeTimeout = time.Second

// Status reports the leader, the term and every member.
func (s *Service) Status(ctx context.Context, req *gantryv1.StatusRequest) (*gantryv1.StatusResponse, error) {
	leaderID, _ := s.raft.Leader()
	resp := &gantryv1.StatusResponse{LeaderId: leaderID, Term: s.raft.Term(), CommitIndex: s.raft.CommitIndex(), ServedBy: s.raft.ID()}
	if m, ok := s.st.Member(leaderID); ok {
		resp.LeaderAddress = m.GetApiAddress()
	}
	self := s.selfMember()
	if req.GetLocal() {
		resp.Members = []*gantryv1.Member{self}
		return resp, nil
	}
	members, err := s.members()
	if err != nil {
		return nil, toStatus(err)
	}
	var wg sync.WaitGroup
	for _, m := range members {
		if m.GetId() == self.GetId() {
			m.Role, m.AppliedIndex = self.GetRole(), self.GetAppliedIndex()
			continue
		}
		wg.Add(1)
		go func(m *gantryv1.Member) {
			defer wg.Done()
			s.probe(ctx, m)
		}(m)
	}
	wg.Wait()
	for _, m := range members {
		// A nonvoter's own Raft state is "follower"; say what it is.
		if !m.GetVoter() && m.GetRole() == "follower" {
			m.Role = "nonvoter"
		}
	}
	resp.Members = members
	return resp, nil
}

func (s *Service) selfMember() *gantryv1.Member {
	m := &gantryv1.Member{Id: s.raft.ID(), Role: roleName(s.raft.State()), AppliedIndex: s.st.Revision()}
	if info, ok := s.st.Member(m.Id); ok {
		m.RaftAddress, m.ApiAddress = info.GetRaftAddress(), info.GetApiAddress()
	}
	return m
}

// members joins the Raft configuration with the recorded API addresses.
func (s *Service) members() ([]*gantryv1.Member, error) {
	servers, err := s.raft.Servers()
	if err != nil {
		return nil, err
	}
	out := make([]*gantryv1.Member, 0, len(servers))
	for _, sv := range servers {
		m := &gantryv1.Member{Id: sv.ID, RaftAddress: sv.Address, Voter: sv.Voter, Role: "unknown"}
		if info, ok := s.st.Member(sv.ID); ok {
			m.ApiAddress = info.GetApiAddress()
		}
		out = append(out, m)
	}
	return out, nil
}

// probe asks another master for its role and applied index.
func (s *Service) probe(ctx context.Context, m *gantryv1.Member) {
	if m.GetApiAddress() == "" {
		m.Error = "API address not registered yet"
		return
	}
	conn, err := s.fwd.conn(m.GetApiAddress())
	if err != nil {
		m.Error = err.Error()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, memberProbeTimeout)
	defer cancel()
	r, err := cluster(conn).Status(ctx, &gantryv1.StatusRequest{Local: true})
	if err != nil || len(r.GetMembers()) != 1 {
		m.Error = fmt.Sprintf("unreachable: %v", err)
		return
	}
	m.Role, m.AppliedIndex = r.GetMembers()[0].GetRole(), r.GetMembers()[0].GetAppliedIndex()
}

func roleName(state string) string {
	switch state {
	case "Leader":
		return "leader"
	case "Follower":
		return "follower"
	case "Candidate":
		return "candidate"
	}
	return "shutdown"
}

// AddMember adds a master as a voter and records its API address. Adding
// a member that is already present with the same addresses changes nothing.
func (s *Service) AddMember(ctx context.Context, req *gantryv1.AddMemberRequest) (*gantryv1.AddMemberResponse, error) {
	if req.GetId() == "" || req.GetRaftAddress() == "" || req.GetApiAddress() == "" {
		return nil, toStatus(fmt.Errorf("%w: id, raft_address and api_address: Required value", errInvalid))
	}
	// The members after the change are the leader's: a follower may not
	// have the new configuration yet.
	var members []*gantryv1.Member
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		if err := s.addMember(ctx, req); err != nil {
			return err
		}
		var err error
		members, err = s.members()
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := cluster(c).AddMember(ctx, req)
		members = resp.GetMembers()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.AddMemberResponse{Members: members}, nil
}

func (s *Service) addMember(ctx context.Context, req *gantryv1.AddMemberRequest) error {
	if err := s.addToRaft(ctx, req); err != nil {
		return err
	}
	info := &storagev1.MemberInfo{Id: req.GetId(), RaftAddress: req.GetRaftAddress(), ApiAddress: req.GetApiAddress()}
	if cur, ok := s.st.Member(req.GetId()); ok && cur.GetApiAddress() == info.GetApiAddress() && cur.GetRaftAddress() == info.GetRaftAddress() {
		return nil
	}
	_, err := s.applyOne(ctx, &storagev1.Op{Type: storagev1.OpType_OP_TYPE_SET_MEMBER, Member: info})
	return err
}

// addToRaft changes the Raft configuration only when it has to, so that
// adding a member again (as every master does when it starts) is cheap.
func (s *Service) addToRaft(ctx context.Context, req *gantryv1.AddMemberRequest) error {
	servers, err := s.raft.Servers()
	if err != nil {
		return err
	}
	for _, sv := range servers {
		if sv.ID != req.GetId() {
			continue
		}
		if req.GetNonvoter() && sv.Voter {
			return fmt.Errorf("%w: member %q is a voter; remove it before adding it back as a nonvoter", errForbid, sv.ID)
		}
		if sv.Address == req.GetRaftAddress() && sv.Voter == !req.GetNonvoter() {
			return nil
		}
	}
	if req.GetNonvoter() {
		if err := s.raft.AddNonvoter(ctx, req.GetId(), req.GetRaftAddress()); err != nil {
			return fmt.Errorf("add nonvoter %s: %w", req.GetId(), err)
		}
		return nil
	}
	if err := s.raft.AddVoter(ctx, req.GetId(), req.GetRaftAddress()); err != nil {
		return fmt.Errorf("add voter %s: %w", req.GetId(), err)
	}
	return nil
}

// RemoveMember removes a master from the cluster.
func (s *Service) RemoveMember(ctx context.Context, req *gantryv1.RemoveMemberRequest) (*gantryv1.RemoveMemberResponse, error) {
	if req.GetId() == "" {
		return nil, toStatus(fmt.Errorf("%w: id: Required value", errInvalid))
	}
	var members []*gantryv1.Member
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		if err := s.removeFromRaft(ctx, req.GetId()); err != nil {
			return err
		}
		var err error
		members, err = s.members()
		return err
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := cluster(c).RemoveMember(ctx, req)
		members = resp.GetMembers()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.RemoveMemberResponse{Members: members}, nil
}

// removeFromRaft removes a member of the configuration; an id that is not
// one is NOT_FOUND rather than a silent no-op, so a typo shows.
func (s *Service) removeFromRaft(ctx context.Context, id string) error {
	servers, err := s.raft.Servers()
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(servers))
	for _, sv := range servers {
		if sv.ID == id {
			return s.raft.RemoveServer(ctx, id)
		}
		ids = append(ids, sv.ID)
	}
	sort.Strings(ids)
	return fmt.Errorf("%w: %q (members: %s)", raftnode.ErrNoMember, id, strings.Join(ids, ", "))
}

// TransferLeadership hands leadership over.
func (s *Service) TransferLeadership(ctx context.Context, req *gantryv1.TransferLeadershipRequest) (*gantryv1.TransferLeadershipResponse, error) {
	var leader string
	err := s.fwd.do(ctx, func(ctx context.Context) error {
		if req.GetId() == s.raft.ID() {
			// Already done: hashicorp/raft would refuse a transfer to itself.
			leader = s.raft.ID()
			return nil
		}
		if err := s.raft.TransferLeadership(ctx, req.GetId()); err != nil {
			return err
		}
		leader = s.awaitNewLeader(ctx)
		return nil
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		resp, err := cluster(c).TransferLeadership(ctx, req)
		leader = resp.GetLeaderId()
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.TransferLeadershipResponse{LeaderId: leader}, nil
}

// newLeaderWait bounds how long a master that handed leadership over waits
// to hear from the new leader before it answers.
const newLeaderWait = 2 * time.Second

// awaitNewLeader returns the leader this master knows of once it is not
// this master: right after a transfer the old leader knows none until the
// new one's first heartbeat. It returns "" if none is known in time.
func (s *Service) awaitNewLeader(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, newLeaderWait)
	defer cancel()
	for {
		if id, _ := s.raft.Leader(); id != "" && id != s.raft.ID() {
			return id
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// ReadIndex answers followers' linearizable-read requests. Leader only.
func (s *Service) ReadIndex(ctx context.Context, _ *gantryv1.ReadIndexRequest) (*gantryv1.ReadIndexResponse, error) {
	idx, err := s.raft.ReadIndex(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.ReadIndexResponse{Index: idx}, nil
}

// snapshotChunk is the size of one backup message.
const snapshotChunk = 256 << 10

// Snapshot streams a fresh snapshot of this master's state. It is taken
// once this master has applied everything the leader had committed when
// the call arrived, so a backup holds every write acknowledged before it
// was asked for, whichever master serves it.
func (s *Service) Snapshot(_ *gantryv1.SnapshotRequest, stream gantryv1.ClusterService_SnapshotServer) error {
	if err := s.consistent(stream.Context(), gantryv1.Consistency_CONSISTENCY_LINEARIZABLE, ""); err != nil {
		return toStatus(err)
	}
	index, term, rc, err := s.raft.Snapshot()
	if err != nil {
		return toStatus(err)
	}
	defer rc.Close()
	buf := make([]byte, snapshotChunk)
	first := true
	for {
		n, err := io.ReadFull(rc, buf)
		if n > 0 {
			msg := &gantryv1.SnapshotResponse{Data: buf[:n]}
			if first {
				msg.Index, msg.Term, first = index, term, false
			}
			if serr := stream.Send(msg); serr != nil {
				return serr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return toStatus(fmt.Errorf("read snapshot: %w", err))
		}
	}
}
