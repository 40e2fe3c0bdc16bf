package ctl

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func init() { register(newClusterCommand) }

// newClusterCommand groups the verbs about the masters themselves:
// membership, leadership and backups (ClusterService).
func newClusterCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show and change the masters: status, members, leadership, snapshots",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newClusterStatusCommand(e),
		newClusterMembersCommand(e),
		newClusterAddMemberCommand(e),
		newClusterRemoveMemberCommand(e),
		newClusterTransferLeaderCommand(e),
		newClusterSnapshotCommand(e),
	)
	return cmd
}

func newClusterStatusCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the leader, term, commit index and every master",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := e.clusterStatus(cmd)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(e.out(), 0, 4, 2, ' ', 0)
			leader := "<none>"
			if st.GetLeaderId() != "" {
				leader = st.GetLeaderId()
				if st.GetLeaderAddress() != "" {
					leader += " (" + st.GetLeaderAddress() + ")"
				}
			}
			fmt.Fprintf(w, "Leader:\t%s\n", leader)
			fmt.Fprintf(w, "Term:\t%d\n", st.GetTerm())
			fmt.Fprintf(w, "Commit index:\t%d\n", st.GetCommitIndex())
			fmt.Fprintf(w, "Served by:\t%s\n", st.GetServedBy())
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(e.out())
			return printMembers(e.out(), st.GetMembers())
		},
	}
}

func newClusterMembersCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "members",
		Short: "List the masters with their roles and addresses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := e.clusterStatus(cmd)
			if err != nil {
				return err
			}
			return printMembers(e.out(), st.GetMembers())
		},
	}
}

// clusterStatus asks any master for the whole cluster's status.
func (e *env) clusterStatus(cmd *cobra.Command) (*gantryv1.StatusResponse, error) {
	cl, err := e.client()
	if err != nil {
		return nil, err
	}
	ctx, cancel := e.requestCtx(cmd.Context())
	defer cancel()
	st, err := cl.ClusterStatus(ctx, &gantryv1.StatusRequest{})
	if err != nil {
		return nil, fmt.Errorf("cluster status: %w", err)
	}
	return st, nil
}

// printMembers prints the members table, by id.
func printMembers(out io.Writer, members []*gantryv1.Member) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tROLE\tVOTER\tRAFT-ADDRESS\tAPI-ADDRESS\tAPPLIED\tERROR")
	for _, m := range sortedMembers(members) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.GetId(), m.GetRole(), yesNo(m.GetVoter()),
			orNone(m.GetRaftAddress()), orNone(m.GetApiAddress()), applied(m), m.GetError())
	}
	return w.Flush()
}

// sortedMembers orders members by id: the Raft configuration's order
// depends on how the cluster was bootstrapped.
func sortedMembers(ms []*gantryv1.Member) []*gantryv1.Member {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b *gantryv1.Member) int { return strings.Compare(a.GetId(), b.GetId()) })
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// applied is the member's applied index, or "-" when it did not answer.
func applied(m *gantryv1.Member) string {
	if m.GetRole() == "unknown" {
		return "-"
	}
	return strconv.FormatUint(m.GetAppliedIndex(), 10)
}
