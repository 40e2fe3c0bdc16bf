package main

import (
	"fmt"
	"runtime/debug"

	"github.com/gantryio/gantry/internal/logging"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func newLogger(cmd *cobra.Command) (*zap.Logger, error) {
	cfg := logging.DefaultConfig()
	cfg.Level, _ = cmd.Flags().GetString("log-level")
	cfg.Format, _ = cmd.Flags().GetString("log-format")
	return logging.New(cfg)
}

// version is set with -ldflags "-X main.version=..." by release builds.
var version = "dev"

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintln(cmd.OutOrStdout(), "gantry", v)
		},
	}
}
