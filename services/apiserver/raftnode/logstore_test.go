package raftnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"go.uber.org/zap/zaptest"
)

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func singleConfig(t *testing.T, dir, logStore string) Config {
	cfg := DefaultConfig()
	cfg.ID, cfg.DataDir, cfg.RaftAddr, cfg.LogStore = "m1", dir, freeAddr(t), logStore
	cfg.InitialCluster = map[string]string{"m1": cfg.RaftAddr}
	return cfg
}

// startSingle starts a one-member cluster and waits until it leads.
func startSingle(t *testing.T, cfg Config) (*Node, *store.Store, func()) {
	t.Helper()
	st := store.New(store.DefaultConfig())
	n, err := New(cfg, st, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.LogStore, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = n.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for !n.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no leader after 20 s (state %s)", cfg.LogStore, n.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return n, st, func() {
		cancel()
		<-done
		if err := n.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
}

// applyOK applies cmd, creating the default namespace first on an empty
// store, and fails the test unless every op applied.
func applyOK(t *testing.T, n *Node, cmd *storagev1.Command) {
	t.Helper()
	if _, _, err := n.st.Get("Namespace", "", "default"); err != nil {
		ns := apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "default", Uid: "u-default"}})
		cmd = &storagev1.Command{Version: 1, Ops: append([]*storagev1.Op{{Type: storagev1.OpType_OP_TYPE_CREATE, Object: ns}}, cmd.GetOps()...)}
	}
	res, err := n.Apply(context.Background(), cmd)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("apply: %v", r.Err)
		}
	}
}

// TestLogStoresKeepData: with either backend, commands survive a restart
// (the store is rebuilt from the log alone: no snapshot was taken).
func TestLogStoresKeepData(t *testing.T) {
	for _, ls := range []string{LogStoreBolt, LogStoreWAL} {
		t.Run(ls, func(t *testing.T) {
			dir := t.TempDir()
			cfg := singleConfig(t, dir, ls)
			n, _, stop := startSingle(t, cfg)
			for i := 0; i < 20; i++ {
				applyOK(t, n, createCommand(fmt.Sprintf("cm-%d", i)))
			}
			stop()
			if _, err := os.Stat(filepath.Join(dir, walDir)); (err == nil) != (ls == LogStoreWAL) {
				t.Fatalf("%s: wal directory present = %v", ls, err == nil)
			}
			_, st, stop := startSingle(t, cfg)
			defer stop()
			if _, _, err := st.Get("ConfigMap", "default", "cm-19"); err != nil {
				t.Fatalf("%s: cm-19 after restart: %v", ls, err)
			}
		})
	}
}

// TestLogStoreMismatchRefused: a data directory keeps its backend; opening
// it with the other one fails before anything is written, saying how to
// fix it, instead of starting with an empty log.
func TestLogStoreMismatchRefused(t *testing.T) {
	for _, c := range []struct{ created, opened string }{{LogStoreBolt, LogStoreWAL}, {LogStoreWAL, LogStoreBolt}} {
		t.Run(c.created+"-as-"+c.opened, func(t *testing.T) {
			dir := t.TempDir()
			cfg := singleConfig(t, dir, c.created)
			n, _, stop := startSingle(t, cfg)
			applyOK(t, n, createCommand("cm"))
			stop()
			cfg.LogStore = c.opened
			_, err := New(cfg, store.New(store.DefaultConfig()), zaptest.NewLogger(t))
			if !errors.Is(err, errLogStoreMismatch) {
				t.Fatalf("New with %s on a %s directory: %v; want a log store mismatch", c.opened, c.created, err)
			}
			cfg.LogStore = c.created
			_, st, stop := startSingle(t, cfg)
			defer stop()
			if _, _, err := st.Get("ConfigMap", "default", "cm"); err != nil {
				t.Fatalf("after the refused open, cm is gone: %v", err)
			}
		})
	}
}

func TestUnknownLogStoreRefused(t *testing.T) {
	cfg := singleConfig(t, t.TempDir(), "rocksdb")
	if err := cfg.validate(); err == nil {
		t.Fatal("log store rocksdb accepted")
	}
}
