package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/snapshotfile"
)

func newClusterSnapshotCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save a backup of the whole store, or check one",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newSnapshotSaveCommand(e), newSnapshotStatusCommand(e))
	return cmd
}

func newSnapshotSaveCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "save FILE",
		Short: "Stream a consistent backup of the store into FILE",
		Long: `Stream a consistent backup of the whole store from one master into FILE. The
file appears only once the backup is complete, synced to disk and verified; restore
it into a new cluster with "gantry restore".

--request-timeout bounds how long the stream may stall, not its whole length.`,
		Example: `  gantryctl cluster snapshot save backup.snap`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := e.saveSnapshot(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("snapshot save %s: %w", args[0], err)
			}
			w := tabwriter.NewWriter(e.out(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "Saved:\t%s\n", args[0])
			fmt.Fprintf(w, "Bytes:\t%d\n", res.Bytes)
			fmt.Fprintf(w, "Index:\t%d\n", res.index)
			fmt.Fprintf(w, "Term:\t%d\n", res.term)
			fmt.Fprintf(w, "Revision:\t%d\n", res.Revision)
			fmt.Fprintf(w, "Objects:\t%d\n", res.Objects)
			fmt.Fprintf(w, "SHA256:\t%s\n", res.SHA256)
			return w.Flush()
		},
	}
}

// savedSnapshot is a verified backup with the Raft position it was taken at.
type savedSnapshot struct {
	snapshotfile.Info
	index, term uint64
}

// saveSnapshot streams a backup into a temporary file next to path, syncs
// and verifies it, then renames it over path: path is either the old
// file or a complete new backup, never a torn one.
func (e *env) saveSnapshot(ctx context.Context, path string) (res savedSnapshot, err error) {
	cl, err := e.client()
	if err != nil {
		return res, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".part-")
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if res.index, res.term, err = receive(ctx, cl, tmp, e.timeout); err != nil {
		return res, err
	}
	if err := tmp.Sync(); err != nil {
		return res, fmt.Errorf("sync: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return res, err
	}
	if res.Info, err = snapshotfile.Inspect(tmp); err != nil {
		return res, fmt.Errorf("the received backup does not verify: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return res, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return res, err
	}
	return res, syncDir(dir)
}

// errStalled ends a backup whose stream sent nothing for too long.
var errStalled = errors.New("the backup stream stalled")

// receive writes a backup's chunks to f (the client retries only before
// the first one, so f holds one stream) and returns the index and term
// of its first chunk. With idle > 0, a stream that sends nothing for
// idle is cancelled.
func receive(ctx context.Context, cl *client.Client, f *os.File, idle time.Duration) (index, term uint64, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var t *time.Timer
	if idle > 0 {
		t = time.AfterFunc(idle, func() { cancel(fmt.Errorf("%w: nothing received for %s", errStalled, idle)) })
		defer t.Stop()
	}
	first := true
	err = cl.Snapshot(ctx, func(msg *gantryv1.SnapshotResponse) error {
		if t != nil {
			t.Reset(idle)
		}
		if first {
			index, term, first = msg.GetIndex(), msg.GetTerm(), false
		}
		if _, err := f.Write(msg.GetData()); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	})
	if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
		return 0, 0, cause
	}
	return index, term, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func newSnapshotStatusCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "status FILE",
		Short: "Read and verify a backup: size, revision, objects per kind",
		Long: `Read a backup file without contacting the cluster, verify every record, and
print its size and checksum, the store revision it holds (a cluster restored from it
starts there), its objects per kind and the masters it recorded.`,
		Example: `  gantryctl cluster snapshot status backup.snap`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("snapshot status: %w", err)
			}
			defer f.Close()
			info, err := snapshotfile.Inspect(f)
			if err != nil {
				return fmt.Errorf("snapshot status %s: %w", args[0], err)
			}
			return printSnapshotInfo(e.out(), args[0], info)
		},
	}
}

func printSnapshotInfo(out io.Writer, path string, info snapshotfile.Info) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "File:\t%s\n", path)
	fmt.Fprintf(w, "Bytes:\t%d\n", info.Bytes)
	fmt.Fprintf(w, "SHA256:\t%s\n", info.SHA256)
	fmt.Fprintf(w, "Format:\t%d\n", snapshotfile.FormatVersion)
	fmt.Fprintf(w, "Revision:\t%d\n", info.Revision)
	fmt.Fprintf(w, "Objects:\t%d\n", info.Objects)
	ids := make([]string, 0, len(info.Members))
	for _, m := range info.Members {
		ids = append(ids, m.GetId())
	}
	fmt.Fprintf(w, "Members:\t%s\n", orNone(strings.Join(ids, ", ")))
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tOBJECTS")
	for _, k := range info.SortedKinds() {
		fmt.Fprintf(w, "%s\t%d\n", k, info.Kinds[k])
	}
	return w.Flush()
}
