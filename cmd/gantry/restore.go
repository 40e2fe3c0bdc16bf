package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/gantryio/gantry/services/apiserver"
	"github.com/spf13/cobra"
)

func init() { register(restoreCmd) }

func restoreCmd() *cobra.Command {
	cfg := apiserver.RestoreConfig{Store: apiserver.DefaultConfig().Store}
	var initial string
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Turn a backup into one master's data directory of a new cluster",
		Long: `Restore writes the data directory of one master of a NEW cluster from a backup
saved with "gantryctl cluster snapshot save". Run it once per master, with the same
backup and --initial-cluster, then start every master on its directory with
"gantry apiserver" and that same --initial-cluster. The new cluster holds exactly the
backup's objects; its first write gets a higher resource_version than any in the backup.

The data directory must be absent or empty: restore never touches existing state.`,
		Example: `  gantry restore --snapshot backup.snap --id m1 --data-dir /var/lib/gantry/m1 \
    --initial-cluster m1=127.0.0.1:7101,m2=127.0.0.1:7102,m3=127.0.0.1:7103`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.InitialCluster, err = apiserver.ParseInitialCluster(initial); err != nil {
				return err
			}
			log, err := newLogger(cmd)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			res, err := apiserver.Restore(cfg, log)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "Restored\t%s into %s\n", cfg.ID, cfg.DataDir)
			fmt.Fprintf(w, "Snapshot\t%s (%d bytes, sha256 %s)\n", cfg.Snapshot, res.Bytes, res.SHA256)
			fmt.Fprintf(w, "Revision\t%d (new cluster starts at index %d)\n", res.Revision, res.Index)
			fmt.Fprintf(w, "Objects\t%d\n", res.Objects)
			for _, k := range res.SortedKinds() {
				fmt.Fprintf(w, "  %s\t%d\n", k, res.Kinds[k])
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Snapshot, "snapshot", "", "backup file (gantryctl cluster snapshot save) (required)")
	f.StringVar(&cfg.ID, "id", "", "the master's id in the new cluster (required)")
	f.StringVar(&cfg.DataDir, "data-dir", "", "the master's new data directory; must be absent or empty (required)")
	f.StringVar(&initial, "initial-cluster", "", "the new cluster: id=raftaddr,... including this master, as given to every apiserver (required)")
	f.Uint64Var(&cfg.BumpRevision, "bump-revision", 0, "start the new cluster this many revisions past the backup, so that clients of the old cluster relist instead of resuming")
	return cmd
}
