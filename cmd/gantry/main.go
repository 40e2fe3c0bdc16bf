// Command gantry runs every Gantry component (one subcommand each) and
// starts local clusters with "gantry up".
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:           "gantry",
		Short:         "Gantry: a container orchestration control plane",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().String("log-format", "console", "log format: console or json")
	root.AddCommand(apiserverCmd(), upCmd(), benchCmd(), versionCmd())
	for _, c := range registered {
		root.AddCommand(c())
	}
	if b, _, err := root.Find([]string{"bench"}); err == nil && b != root {
		b.AddCommand(benchScheduleCmd())
	}
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "gantry:", err)
		os.Exit(1)
	}
}

// registered holds subcommands that add themselves from their own files
// (func init() { register(fooCmd) }), so new components need no edit here.
var registered []func() *cobra.Command

func register(c func() *cobra.Command) { registered = append(registered, c) }
