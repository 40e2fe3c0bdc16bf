package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/localcluster"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// keepLogsEnv names a directory to copy every test cluster's logs into
// (they are deleted with the test's temp dir otherwise; a failing test
// prints their tails).
const keepLogsEnv = "GANTRY_E2E_LOGS"

// testCluster is a cluster of real gantry apiserver processes on loopback
// with free ports and data in t.TempDir(), plus one plain gRPC connection
// per master (no failover) for asking a particular master.
type testCluster struct {
	t     *testing.T
	lc    *localcluster.Cluster
	conns map[string]*grpc.ClientConn // by member id
}

// startCluster starts n masters (extra flags for each in masterArgs),
// waits until a leader serves, and stops every process when the test ends
// (printing the tail of each master's log if the test failed).
func startCluster(t *testing.T, n int, masterArgs ...string) *testCluster {
	t.Helper()
	cfg := localcluster.DefaultConfig()
	cfg.Binary = gantryBin
	cfg.DataDir = t.TempDir()
	cfg.Masters = n
	cfg.BasePort = 0 // free ports
	cfg.MasterArgs = masterArgs
	cfg.ReadyTimeout = 60 * time.Second
	lc, err := localcluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCluster{t: t, lc: lc, conns: map[string]*grpc.ClientConn{}}
	t.Cleanup(c.stop)
	if err := lc.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ReadyTimeout)
	defer cancel()
	if err := lc.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	// WaitReady asked m1; wait until every master knows the leader too.
	waitFor(t, 30*time.Second, "every master to know the leader", func() error {
		_, err := c.leader()
		return err
	})
	return c
}

func (c *testCluster) stop() {
	c.lc.Stop()
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	if d := os.Getenv(keepLogsEnv); d != "" {
		dst := filepath.Join(d, fmt.Sprintf("%s-%s", c.t.Name(), time.Now().Format("150405.000")))
		if err := os.CopyFS(dst, os.DirFS(c.lc.LogDir())); err != nil {
			c.t.Logf("keep logs: %v", err)
		}
	}
	if c.t.Failed() {
		for _, p := range c.lc.Masters {
			c.t.Logf("---- last lines of %s ----\n%s", p.LogPath, tail(p.LogPath, 60))
		}
	}
}

// conn returns a connection to one master, which reconnects quickly after
// that master restarts.
func (c *testCluster) conn(id string) *grpc.ClientConn {
	c.t.Helper()
	if conn, ok := c.conns[id]; ok {
		return conn
	}
	addr := c.addr(id)
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.5, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: 2 * time.Second,
		}))
	if err != nil {
		c.t.Fatalf("dial %s: %v", addr, err)
	}
	c.conns[id] = conn
	return conn
}

// addr returns a master's gRPC address.
func (c *testCluster) addr(id string) string {
	c.t.Helper()
	for i, p := range c.lc.Masters {
		if p.Name == id {
			return c.lc.Servers()[i]
		}
	}
	c.t.Fatalf("no master %q", id)
	return ""
}

func (c *testCluster) ids() []string {
	var out []string
	for _, p := range c.lc.Masters {
		out = append(out, p.Name)
	}
	return out
}

func (c *testCluster) res(id string) gantryv1.ResourceServiceClient {
	return gantryv1.NewResourceServiceClient(c.conn(id))
}

func (c *testCluster) cluster(id string) gantryv1.ClusterServiceClient {
	return gantryv1.NewClusterServiceClient(c.conn(id))
}

// status asks one master about itself only.
func (c *testCluster) localStatus(id string) (*gantryv1.Member, *gantryv1.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.cluster(id).Status(ctx, &gantryv1.StatusRequest{Local: true})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: Status: %w", id, err)
	}
	if len(st.GetMembers()) != 1 {
		return nil, nil, fmt.Errorf("%s: local Status lists %d members", id, len(st.GetMembers()))
	}
	return st.GetMembers()[0], st, nil
}

// leader returns the leader every running master agrees on.
func (c *testCluster) leader() (string, error) {
	return c.leaderAmong(c.running())
}

// leaderAmong returns the leader the given masters agree on, or an error.
func (c *testCluster) leaderAmong(ids []string) (string, error) {
	leader := ""
	for _, id := range ids {
		_, st, err := c.localStatus(id)
		if err != nil {
			return "", err
		}
		switch {
		case st.GetLeaderId() == "":
			return "", fmt.Errorf("%s knows no leader", id)
		case leader != "" && st.GetLeaderId() != leader:
			return "", fmt.Errorf("masters disagree on the leader: %s and %s", leader, st.GetLeaderId())
		}
		leader = st.GetLeaderId()
	}
	if leader == "" {
		return "", errors.New("no master asked")
	}
	return leader, nil
}

func (c *testCluster) running() []string {
	var out []string
	for _, p := range c.lc.Masters {
		if p.Running() {
			out = append(out, p.Name)
		}
	}
	return out
}

// client returns a failover client over the given masters (all when none
// are named), closed when the test ends.
func (c *testCluster) client(ids ...string) *client.Client {
	c.t.Helper()
	if len(ids) == 0 {
		ids = c.ids()
	}
	cfg := client.DefaultConfig()
	for _, id := range ids {
		cfg.Servers = append(cfg.Servers, c.addr(id))
	}
	cl, err := client.New(cfg, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// waitConverged waits until every running master has applied the same
// index and then returns each master's STALE list of every kind, checked
// to be identical.
func (c *testCluster) waitConverged(timeout time.Duration) map[string][]*gantryv1.Object {
	c.t.Helper()
	var out map[string][]*gantryv1.Object
	waitFor(c.t, timeout, "every master to apply the same index and hold the same objects", func() error {
		ids := c.running()
		idx, err := c.appliedIndexes(ids)
		if err != nil {
			return err
		}
		lists := map[string]map[string][]*gantryv1.Object{}
		for _, id := range ids {
			if lists[id], err = c.staleListAll(id); err != nil {
				return err
			}
		}
		again, err := c.appliedIndexes(ids)
		if err != nil {
			return err
		}
		if again != idx {
			return fmt.Errorf("applied index moved from %d to %d while listing", idx, again)
		}
		first := ids[0]
		for _, id := range ids[1:] {
			if err := sameObjects(lists[first], lists[id]); err != nil {
				return fmt.Errorf("at applied index %d, %s and %s differ: %w", idx, first, id, err)
			}
		}
		out = lists[first]
		return nil
	})
	return out
}

// appliedIndexes returns the applied index all ids share, or an error.
func (c *testCluster) appliedIndexes(ids []string) (uint64, error) {
	var want uint64
	var seen []string
	for i, id := range ids {
		m, _, err := c.localStatus(id)
		if err != nil {
			return 0, err
		}
		seen = append(seen, fmt.Sprintf("%s=%d", id, m.GetAppliedIndex()))
		if i == 0 {
			want = m.GetAppliedIndex()
		} else if m.GetAppliedIndex() != want {
			want = 0
		}
	}
	if want == 0 {
		return 0, fmt.Errorf("applied indexes differ: %s", strings.Join(seen, " "))
	}
	return want, nil
}

// staleListAll lists every kind on one master from its local state,
// following continue tokens.
func (c *testCluster) staleListAll(id string) (map[string][]*gantryv1.Object, error) {
	out := map[string][]*gantryv1.Object{}
	for _, kind := range apimeta.Kinds() {
		req := &gantryv1.ListRequest{Kind: kind, Consistency: gantryv1.Consistency_CONSISTENCY_STALE}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			resp, err := c.res(id).List(ctx, req)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("%s: List %s: %w", id, kind, err)
			}
			out[kind] = append(out[kind], resp.GetItems()...)
			if resp.GetContinueToken() == "" {
				break
			}
			req.ContinueToken = resp.GetContinueToken()
		}
		sort.Slice(out[kind], func(i, j int) bool { return objKey(out[kind][i]) < objKey(out[kind][j]) })
	}
	return out, nil
}

func objKey(o *gantryv1.Object) string {
	m := apimeta.Meta(o)
	return m.GetNamespace() + "/" + m.GetName()
}

// sameObjects reports the first difference between two lists by kind.
func sameObjects(a, b map[string][]*gantryv1.Object) error {
	for _, kind := range apimeta.Kinds() {
		x, y := a[kind], b[kind]
		if len(x) != len(y) {
			return fmt.Errorf("%d %s objects vs %d", len(x), kind, len(y))
		}
		for i := range x {
			if !proto.Equal(x[i], y[i]) {
				return fmt.Errorf("%s %s differs:\n  %v\n  %v", kind, objKey(x[i]), x[i], y[i])
			}
		}
	}
	return nil
}

// waitFor polls cond until it returns nil, failing the test with cond's
// last error after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	if err := poll(timeout, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// poll calls cond every 50 ms until it returns nil or timeout passes, and
// returns cond's last error then.
func poll(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// configMap returns a ConfigMap in the default namespace.
func configMap(name string, labels, data map[string]string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ConfigMap{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", Labels: labels},
		Data:     data,
	})
}

// readLog returns a master's whole log.
func readLog(t *testing.T, p *localcluster.Proc) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(p.LogPath))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
