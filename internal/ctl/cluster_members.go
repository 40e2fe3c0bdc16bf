package ctl

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func newClusterAddMemberCommand(e *env) *cobra.Command {
	req := &gantryv1.AddMemberRequest{}
	cmd := &cobra.Command{
		Use:   "add-member ID --raft-address HOST:PORT --api-address HOST:PORT [--nonvoter]",
		Short: "Add a master to the cluster (then start it without --initial-cluster)",
		Long: `Add a master to the cluster's Raft configuration and record its API address.
Then start it with "gantry apiserver --id ID" on those addresses and an empty data
directory, without --initial-cluster or --join: the leader brings it up to date.

A nonvoter receives the log but neither votes nor counts toward the quorum; add it
again without --nonvoter to make it a voter.`,
		Example: `  gantryctl cluster add-member m4 --raft-address 127.0.0.1:7104 --api-address 127.0.0.1:7004`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Id = args[0]
			cl, err := e.client()
			if err != nil {
				return err
			}
			ctx, cancel := e.requestCtx(cmd.Context())
			defer cancel()
			resp, err := cl.AddMember(ctx, req)
			if err != nil {
				return fmt.Errorf("member/%s: %w", req.Id, err)
			}
			kind := "a voter"
			if req.Nonvoter {
				kind = "a nonvoter"
			}
			fmt.Fprintf(e.out(), "member/%s added as %s; members: %s\n", req.Id, kind, memberIDs(resp.GetMembers()))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.RaftAddress, "raft-address", "", "the new master's Raft peer address (its --raft-listen)")
	f.StringVar(&req.ApiAddress, "api-address", "", "the new master's gRPC address (its --advertise, else --listen)")
	f.BoolVar(&req.Nonvoter, "nonvoter", false, "add it as a non-voting member")
	_ = cmd.MarkFlagRequired("raft-address")
	_ = cmd.MarkFlagRequired("api-address")
	return cmd
}

func newClusterRemoveMemberCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "remove-member ID",
		Short:   "Remove a master from the cluster",
		Example: `  gantryctl cluster remove-member m4`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := e.client()
			if err != nil {
				return err
			}
			ctx, cancel := e.requestCtx(cmd.Context())
			defer cancel()
			resp, err := cl.RemoveMember(ctx, &gantryv1.RemoveMemberRequest{Id: args[0]})
			if err != nil {
				return fmt.Errorf("member/%s: %w", args[0], err)
			}
			fmt.Fprintf(e.out(), "member/%s removed; members: %s\n", args[0], memberIDs(resp.GetMembers()))
			return nil
		},
	}
}

func newClusterTransferLeaderCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "transfer-leader [ID]",
		Short: "Hand leadership to ID, or to the most up-to-date follower",
		Example: `  gantryctl cluster transfer-leader m2
  gantryctl cluster transfer-leader`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			if len(args) == 1 {
				target = args[0]
			}
			st, err := e.clusterStatus(cmd)
			if err != nil {
				return err
			}
			if target != "" && target == st.GetLeaderId() {
				fmt.Fprintf(e.out(), "%s is already the leader\n", target)
				return nil
			}
			cl, err := e.client()
			if err != nil {
				return err
			}
			ctx, cancel := e.requestCtx(cmd.Context())
			defer cancel()
			resp, err := cl.TransferLeadership(ctx, &gantryv1.TransferLeadershipRequest{Id: target})
			if err != nil {
				return fmt.Errorf("transfer leadership: %w", err)
			}
			switch to := resp.GetLeaderId(); {
			case to == "":
				fmt.Fprintf(e.out(), "leadership handed over by %s; the new leader is not known yet\n", orNone(st.GetLeaderId()))
			case target != "" && to != target:
				return fmt.Errorf("transfer leadership: %s leads now, not %s (an election intervened; try again)", to, target)
			default:
				fmt.Fprintf(e.out(), "leadership transferred from %s to %s\n", orNone(st.GetLeaderId()), to)
			}
			return nil
		},
	}
}

func memberIDs(ms []*gantryv1.Member) string {
	ids := make([]string, 0, len(ms))
	for _, m := range sortedMembers(ms) {
		id := m.GetId()
		if !m.GetVoter() {
			id += " (nonvoter)"
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, ", ")
}
