package ctl

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// Streams are the command's standard input, output and error.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// commands holds the verbs; each verb's file adds itself in init, so a new
// verb needs no edit here.
var commands []func(*env) *cobra.Command

func register(c func(*env) *cobra.Command) { commands = append(commands, c) }

// NewRootCommand builds gantryctl with every verb.
func NewRootCommand(s Streams) *cobra.Command {
	root, _ := newRoot(s)
	return root
}

// newRoot builds the root command and the env its verbs share.
func newRoot(s Streams) (*cobra.Command, *env) {
	e := &env{streams: s}
	root := &cobra.Command{
		Use:   "gantryctl",
		Short: "gantryctl controls a Gantry cluster",
		Long: `gantryctl controls a Gantry cluster, the way kubectl controls Kubernetes.

It finds the cluster in --server, else the client config at $GANTRY_CONFIG,
else ~/.config/gantry/config.yaml (written by "gantry up").`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	f := root.PersistentFlags()
	f.StringSliceVarP(&e.servers, "server", "s", nil, "masters to talk to (host:port, comma-separated); overrides the client config")
	f.StringVar(&e.configPath, "config", "", "client config file (default $GANTRY_CONFIG, else ~/.config/gantry/config.yaml)")
	f.StringVarP(&e.ns, "namespace", "n", "", "namespace (default \"default\")")
	f.DurationVar(&e.timeout, "request-timeout", 30*time.Second, "how long one request may take before giving up (0: no limit)")
	for _, c := range commands {
		root.AddCommand(c(e))
	}
	root.PersistentPostRun = func(*cobra.Command, []string) { e.close() }
	return root, e
}

// Execute runs gantryctl with args and returns the process exit code,
// printing any failure as one line on s.Err.
func Execute(ctx context.Context, s Streams, args []string) int {
	root, e := newRoot(s)
	return execute(ctx, root, e, args)
}

func execute(ctx context.Context, root *cobra.Command, e *env, args []string) int {
	// PersistentPostRun does not run when a verb fails; the connection
	// must be closed then too.
	defer e.close()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	return report(e.errOut(), err)
}
