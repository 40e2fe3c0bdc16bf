package e2e

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/localcluster"
	"google.golang.org/grpc"
)

// buildGantryctl builds gantryctl into the test's temp dir (only the
// tests that drive it need it, so TestMain does not).
func buildGantryctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gantryctl")
	if err := goBuild(repoRoot, "-o", bin, "./cmd/gantryctl"); err != nil {
		t.Fatal(err)
	}
	return bin
}

// runBin runs a binary to completion (bounded) and returns its stdout, or
// fails the test with everything it printed.
func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// portsOf recovers every master's ports from the cluster's addresses.
func portsOf(t *testing.T, lc *localcluster.Cluster) []localcluster.Ports {
	t.Helper()
	port := func(addr string) int {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	grpcs, rafts, https := lc.Servers(), lc.RaftAddrs(), lc.HTTPAddrs()
	out := make([]localcluster.Ports, len(grpcs))
	for i := range out {
		out[i] = localcluster.Ports{GRPC: port(grpcs[i]), Raft: port(rafts[i]), HTTP: port(https[i])}
	}
	return out
}

// TestBackupAndRestore: the documented procedure, with the real binaries.
// A backup saved with "gantryctl cluster snapshot save" from a running
// cluster, restored with "gantry restore" into new data directories for
// the same three masters, comes back (after "gantry apiserver" with the
// same --initial-cluster) with exactly the backup's objects and versions,
// and takes writes at higher versions.
func TestBackupAndRestore(t *testing.T) {
	gantryctl := buildGantryctl(t)
	c := startCluster(t, 3)
	cl := c.client()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if _, err := cl.Create(ctx, apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "team-a"}})); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if _, err := cl.Create(ctx, configMap(fmt.Sprintf("cm-%d", i), map[string]string{"set": "backup"}, map[string]string{"i": fmt.Sprint(i)})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindConfigMap, Namespace: "default", Name: "cm-0"}); err != nil {
		t.Fatal(err)
	}
	servers := strings.Join(c.lc.Servers(), ",")
	status := runBin(t, gantryctl, "--server", servers, "cluster", "status")
	if !regexp.MustCompile(`(?m)^Leader:\s+m[123] `).MatchString(status) || strings.Count(status, " yes ") != 3 {
		t.Fatalf("cluster status before the backup:\n%s", status)
	}

	backup := filepath.Join(t.TempDir(), "backup.snap")
	saved := runBin(t, gantryctl, "--server", servers, "cluster", "snapshot", "save", backup)
	revision := regexp.MustCompile(`(?m)^Revision:\s+(\d+)$`).FindStringSubmatch(saved)
	if revision == nil || !regexp.MustCompile(`(?m)^Term:\s+[1-9]`).MatchString(saved) {
		t.Fatalf("snapshot save printed no revision or term:\n%s", saved)
	}
	backupRev, _ := strconv.ParseUint(revision[1], 10, 64)
	checked := runBin(t, gantryctl, "cluster", "snapshot", "status", backup)
	if !regexp.MustCompile(`(?m)^ConfigMap\s+29$`).MatchString(checked) || !strings.Contains(checked, "Revision:  "+revision[1]) {
		t.Fatalf("snapshot status of the backup:\n%s", checked)
	}
	before := c.waitConverged(30 * time.Second)

	// The old cluster is gone; its ports are reused by the new one.
	ports, raftAddrs := portsOf(t, c.lc), c.lc.RaftAddrs()
	c.lc.Stop()
	var initial []string
	for i, addr := range raftAddrs {
		initial = append(initial, fmt.Sprintf("m%d=%s", i+1, addr))
	}
	dataDir := t.TempDir()
	for i := range raftAddrs {
		id := fmt.Sprintf("m%d", i+1)
		out := runBin(t, gantryBin, "restore", "--snapshot", backup, "--id", id,
			"--data-dir", filepath.Join(dataDir, id), "--initial-cluster", strings.Join(initial, ","))
		if !strings.Contains(out, "Restored") || !strings.Contains(out, "ConfigMap") {
			t.Fatalf("gantry restore %s printed:\n%s", id, out)
		}
	}
	// Restoring over existing state is refused.
	cmd := exec.Command(gantryBin, "restore", "--snapshot", backup, "--id", "m1",
		"--data-dir", filepath.Join(dataDir, "m1"), "--initial-cluster", strings.Join(initial, ","))
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "data dir is not empty") {
		t.Fatalf("restore into m1's restored data dir: %v\n%s", err, out)
	}

	cfg := localcluster.DefaultConfig()
	cfg.Binary, cfg.DataDir, cfg.Masters, cfg.Ports = gantryBin, dataDir, len(ports), ports
	lc, err := localcluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	restored := &testCluster{t: t, lc: lc, conns: map[string]*grpc.ClientConn{}}
	t.Cleanup(restored.stop)
	if err := lc.Start(); err != nil {
		t.Fatal(err)
	}
	if err := lc.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	after := restored.waitConverged(30 * time.Second)
	if err := sameObjects(before, after); err != nil {
		t.Fatalf("the restored cluster's objects differ from the backed-up cluster's: %v", err)
	}
	for _, m := range lc.Masters {
		if log := readLog(t, m); strings.Contains(log, "bootstrapped a new cluster") {
			t.Errorf("%s bootstrapped over its restored state", m.Name)
		}
	}

	rcl := restored.client()
	o, err := rcl.Create(ctx, configMap("after-restore", nil, nil))
	if err != nil {
		t.Fatalf("write to the restored cluster: %v", err)
	}
	if rv, _ := apimeta.ParseResourceVersion(apimeta.Meta(o).GetResourceVersion()); rv <= backupRev {
		t.Fatalf("first write after the restore at resource_version %d, not past the backup's revision %d", rv, backupRev)
	}
	status = runBin(t, gantryctl, "--server", strings.Join(lc.Servers(), ","), "cluster", "status")
	if !regexp.MustCompile(`(?m)^Leader:\s+m[123] `).MatchString(status) || strings.Count(status, " yes ") != 3 {
		t.Fatalf("cluster status after the restore:\n%s", status)
	}
}
