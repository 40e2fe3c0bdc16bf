package ctl

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Version is set with -ldflags "-X github.com/gantryio/gantry/internal/ctl.Version=..."
// by release builds.
var Version = "dev"

func init() { register(newVersionCommand) }

func clientVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}

func newVersionCommand(e *env) *cobra.Command {
	var clientOnly bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the client version and, when reachable, the cluster's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(e.out(), "Client Version: %s\n", clientVersion())
			if clientOnly {
				return nil
			}
			cl, err := e.client()
			if err != nil {
				return err
			}
			ctx, cancel := e.requestCtx(cmd.Context())
			defer cancel()
			st, err := cl.Cluster().Status(ctx, &gantryv1.StatusRequest{})
			if err != nil {
				return fmt.Errorf("cluster status: %w", err)
			}
			fmt.Fprintf(e.out(), "Cluster: leader %s, term %d, %d members\n", st.GetLeaderId(), st.GetTerm(), len(st.GetMembers()))
			return nil
		},
	}
	cmd.Flags().BoolVar(&clientOnly, "client", false, "print only the client version")
	return cmd
}
