package apiserver

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	"github.com/gantryio/gantry/internal/snapshotfile"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
	"github.com/gantryio/gantry/services/apiserver/store"
	"go.uber.org/zap"
)

// ErrDataDirNotEmpty: restore writes a new member's state and never
// touches existing state.
var ErrDataDirNotEmpty = errors.New("data dir is not empty")

// RestoreConfig says which backup becomes which member of a new cluster.
type RestoreConfig struct {
	// Snapshot is the backup file (gantryctl cluster snapshot save).
	Snapshot string
	// ID and DataDir are the member's, as "gantry apiserver" will be given
	// them; DataDir must be absent or empty.
	ID, DataDir string
	// InitialCluster is the new cluster (id -> Raft address), the same for
	// every member and the same as its apiservers' --initial-cluster.
	InitialCluster map[string]string
	// BumpRevision raises the restored revision above the backup's, so that
	// clients which saw revisions of the old cluster past the backup (its
	// controllers and watchers) are told to relist rather than resume.
	BumpRevision uint64
	// Store configures the store the backup is loaded into to check it.
	Store store.Config
}

// RestoreResult describes what was restored.
type RestoreResult struct {
	snapshotfile.Info
	// Index is the Raft index (and store revision) the new cluster starts
	// at; every write after the restore gets a higher resource_version.
	Index uint64
}

func (c RestoreConfig) validate() error {
	var errs []error
	if c.Snapshot == "" {
		errs = append(errs, errors.New("--snapshot is required"))
	}
	if c.ID == "" {
		errs = append(errs, errors.New("--id is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required"))
	}
	if len(c.InitialCluster) == 0 {
		errs = append(errs, errors.New("--initial-cluster is required: the restored data is a new cluster's"))
	} else if _, ok := c.InitialCluster[c.ID]; !ok && c.ID != "" {
		errs = append(errs, fmt.Errorf("--initial-cluster does not include this member %q", c.ID))
	}
	for id, addr := range c.InitialCluster {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("--initial-cluster %s=%s: want host:port", id, addr))
		}
	}
	return errors.Join(errs...)
}

// Restore turns a backup into the data directory of one member of a new
// cluster, as etcdctl snapshot restore does: it verifies the backup,
// loads it into a store (which checks every object), and writes a Raft
// snapshot of it with the new cluster's configuration. Run it once per
// member, each with the same backup and InitialCluster; then start every
// "gantry apiserver" on its directory with that --initial-cluster. The
// directory is written next to DataDir and renamed into place, so a
// failed restore leaves nothing behind.
func Restore(cfg RestoreConfig, logger *zap.Logger) (RestoreResult, error) {
	if err := cfg.validate(); err != nil {
		return RestoreResult{}, err
	}
	if err := checkEmpty(cfg.DataDir); err != nil {
		return RestoreResult{}, err
	}
	f, err := os.Open(cfg.Snapshot)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	info, err := snapshotfile.Inspect(f)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("%s: %w", cfg.Snapshot, err)
	}
	if info.Revision > math.MaxUint64/2 || cfg.BumpRevision > math.MaxUint64/2-info.Revision {
		return RestoreResult{}, fmt.Errorf("--bump-revision %d: too large", cfg.BumpRevision)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return RestoreResult{}, fmt.Errorf("rewind snapshot: %w", err)
	}
	st := store.New(cfg.Store)
	if err := st.Restore(f); err != nil {
		return RestoreResult{}, fmt.Errorf("%s: load: %w", cfg.Snapshot, err)
	}
	index := max(info.Revision+cfg.BumpRevision, 1)
	snap, err := st.Snapshot().ForNewCluster(index, restoredMembers(cfg.InitialCluster))
	if err != nil {
		return RestoreResult{}, err
	}
	err = writeDir(cfg.DataDir, func(dir string) error {
		return raftnode.WriteRestoredState(cfg.ID, dir, index, cfg.InitialCluster, snap.Persist, logger)
	})
	if err != nil {
		return RestoreResult{}, err
	}
	logger.Info("restored a member of a new cluster", zap.String("member", cfg.ID), zap.String("data_dir", cfg.DataDir),
		zap.Uint64("index", index), zap.Uint64("objects", info.Objects))
	return RestoreResult{Info: info, Index: index}, nil
}

// restoredMembers records the new cluster's Raft addresses only: each
// master registers its API address when it starts. The backup's members
// are dropped, since their API addresses are the old cluster's.
func restoredMembers(cluster map[string]string) []*storagev1.MemberInfo {
	out := make([]*storagev1.MemberInfo, 0, len(cluster))
	for id, addr := range cluster {
		out = append(out, &storagev1.MemberInfo{Id: id, RaftAddress: addr})
	}
	return out
}

// checkEmpty refuses a data dir that holds anything: it may be a live
// member's state.
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("data dir %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%w: %s holds %s (restore writes a new member's state; use an empty or new directory)", ErrDataDirNotEmpty, dir, entries[0].Name())
	}
	return nil
}

// writeDir fills a fresh directory next to dir with fill, syncs it, and
// renames it to dir (which may exist only as an empty directory).
func writeDir(dir string, fill func(string) error) (err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".restore-")
	if err != nil {
		return fmt.Errorf("create a temporary data dir: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o700); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("move the restored state into %s: %w", dir, err)
	}
	return syncDir(parent)
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
