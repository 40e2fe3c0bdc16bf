package ctl_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl"
	"github.com/gantryio/gantry/internal/snapshotfile"
	"github.com/gantryio/gantry/internal/testutil"
)

// ctlRun runs gantryctl against servers and returns its exit code and
// output streams.
func ctlRun(t *testing.T, servers string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	code := ctl.Execute(ctx, ctl.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut},
		append([]string{"--server", servers, "--request-timeout", "20s"}, args...))
	return code, out.String(), errOut.String()
}

// mustRun runs gantryctl and fails the test unless it exits 0.
func mustRun(t *testing.T, servers string, args ...string) string {
	t.Helper()
	code, out, errOut := ctlRun(t, servers, args...)
	if code != 0 {
		t.Fatalf("gantryctl %v: exit %d: %s%s", args, code, out, errOut)
	}
	return out
}

// memberRows parses the members table: id -> its columns.
func memberRows(t *testing.T, out string) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	inTable := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "ID":
			if want := "ID ROLE VOTER RAFT-ADDRESS API-ADDRESS APPLIED ERROR"; strings.Join(f, " ") != want {
				t.Fatalf("members header %q, want %q", line, want)
			}
			inTable = true
		case inTable && len(f) >= 6:
			rows[f[0]] = f
		}
	}
	if !inTable {
		t.Fatalf("no members table in:\n%s", out)
	}
	return rows
}

func leaderOf(t *testing.T, rows map[string][]string) string {
	t.Helper()
	var leaders []string
	for id, r := range rows {
		if r[1] == "leader" {
			leaders = append(leaders, id)
		}
	}
	if len(leaders) != 1 {
		t.Fatalf("%d leaders in the table: %v", len(leaders), rows)
	}
	return leaders[0]
}

func TestClusterVerbs(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	var addrs []string
	for _, m := range c.Members {
		addrs = append(addrs, m.Cfg.Listen)
	}
	servers := strings.Join(addrs, ",")
	// Whichever master answers must know every API address: wait until
	// all of them applied the registrations the new cluster writes.
	testutil.Eventually(t, 10*time.Second, func() error {
		for _, m := range c.Members {
			for _, o := range c.Members {
				if info, ok := m.Server().Store().Member(o.ID); !ok || info.GetApiAddress() != o.Cfg.Listen {
					return fmt.Errorf("%s has not applied the registration of %s yet", m.ID, o.ID)
				}
			}
		}
		return nil
	})

	t.Run("status", func(t *testing.T) {
		leader := c.Leader()
		out := mustRun(t, servers, "cluster", "status")
		if !regexp.MustCompile(`(?m)^Leader:\s+`+leader.ID+` \(`+regexp.QuoteMeta(leader.Cfg.Listen)+`\)$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^Term:\s+[1-9]\d*$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^Commit index:\s+[1-9]\d*$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^Served by:\s+m[123]$`).MatchString(out) {
			t.Fatalf("status header does not name leader %s at %s, a term, a commit index and who served it:\n%s", leader.ID, leader.Cfg.Listen, out)
		}
		rows := memberRows(t, out)
		if len(rows) != 3 || leaderOf(t, rows) != leader.ID {
			t.Fatalf("want 3 members led by %s:\n%s", leader.ID, out)
		}
		for _, m := range c.Members {
			r := rows[m.ID]
			if r == nil || r[2] != "yes" || r[3] != m.Cfg.RaftListen || r[4] != m.Cfg.Listen || r[5] == "-" || len(r) != 6 {
				t.Errorf("row of %s: %v; want a voter at raft %s, api %s, an applied index and no error", m.ID, r, m.Cfg.RaftListen, m.Cfg.Listen)
			}
		}
	})

	t.Run("members", func(t *testing.T) {
		out := mustRun(t, servers, "cluster", "members")
		if !strings.HasPrefix(out, "ID ") || len(memberRows(t, out)) != 3 {
			t.Fatalf("members prints only the table of 3:\n%s", out)
		}
	})

	t.Run("transfer-leader", func(t *testing.T) {
		to := c.Followers()[0]
		out := mustRun(t, servers, "cluster", "transfer-leader", to.ID)
		// The old leader is whichever one the answering master knew of.
		if !regexp.MustCompile(`^leadership transferred from m[123] to ` + to.ID + `\n$`).MatchString(out) {
			t.Fatalf("transfer-leader %s printed %q", to.ID, out)
		}
		testutil.Eventually(t, 10*time.Second, func() error {
			rows := memberRows(t, mustRun(t, servers, "cluster", "members"))
			if l := leaderOf(t, rows); l != to.ID {
				return fmt.Errorf("%s leads, want %s", l, to.ID)
			}
			return nil
		})
		if out := mustRun(t, servers, "cluster", "transfer-leader", to.ID); out != to.ID+" is already the leader\n" {
			t.Fatalf("transfer to the leader itself printed %q", out)
		}
		// No id: the most up-to-date follower takes over.
		out = mustRun(t, servers, "cluster", "transfer-leader")
		if !strings.HasPrefix(out, "leadership transferred from "+to.ID+" to ") {
			t.Fatalf("transfer-leader without an id printed %q", out)
		}
		testutil.Eventually(t, 10*time.Second, func() error {
			if l := c.Leader(); l.ID == to.ID {
				return fmt.Errorf("%s still leads", l.ID)
			}
			return nil
		})
		if code, _, errOut := ctlRun(t, servers, "cluster", "transfer-leader", "m9"); code != 1 || !strings.Contains(errOut, "not found") || !strings.Contains(errOut, `"m9"`) {
			t.Fatalf("transfer to m9: exit %d, %q; want 1 and not found", code, errOut)
		}
	})

	t.Run("add and remove a member", func(t *testing.T) {
		raftAddr, apiAddr := testutil.FreeAddr(t), testutil.FreeAddr(t)
		out := mustRun(t, servers, "cluster", "add-member", "m4", "--raft-address", raftAddr, "--api-address", apiAddr, "--nonvoter")
		if out != "member/m4 added as a nonvoter; members: m1, m2, m3, m4 (nonvoter)\n" {
			t.Fatalf("add-member printed %q", out)
		}
		// The master that answers may not have applied the change yet.
		testutil.Eventually(t, 10*time.Second, func() error {
			rows := memberRows(t, mustRun(t, servers, "cluster", "members"))
			if r := rows["m4"]; r == nil || r[2] != "no" || r[3] != raftAddr || r[4] != apiAddr || r[5] != "-" || !strings.Contains(strings.Join(r[6:], " "), "unreachable") {
				return fmt.Errorf("m4 row %v; want a nonvoter at %s/%s that is unreachable", r, raftAddr, apiAddr)
			}
			return nil
		})
		if out := mustRun(t, servers, "cluster", "remove-member", "m4"); out != "member/m4 removed; members: m1, m2, m3\n" {
			t.Fatalf("remove-member printed %q", out)
		}
		code, _, errOut := ctlRun(t, servers, "cluster", "remove-member", "m4")
		if code != 1 || !strings.HasPrefix(errOut, "error: member/m4: not found") {
			t.Fatalf("removing m4 twice: exit %d, %q; want 1 and not found", code, errOut)
		}
		code, _, errOut = ctlRun(t, servers, "cluster", "add-member", "m5", "--raft-address", raftAddr)
		if code != 1 || !strings.Contains(errOut, "api-address") {
			t.Fatalf("add-member without --api-address: exit %d, %q", code, errOut)
		}
	})

	t.Run("snapshot save and status", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		for i := 0; i < 5; i++ {
			cm := apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: "default"}})
			if _, err := c.Leader().Resource.Create(ctx, &gantryv1.CreateRequest{Object: cm}); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "backup.snap")
		out := mustRun(t, servers, "cluster", "snapshot", "save", path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		info, err := snapshotfile.Inspect(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("saved file does not verify: %v", err)
		}
		for _, re := range []string{
			`(?m)^Saved:\s+` + regexp.QuoteMeta(path) + `$`,
			fmt.Sprintf(`(?m)^Bytes:\s+%d$`, len(data)),
			`(?m)^Index:\s+[1-9]\d*$`,
			`(?m)^Term:\s+[1-9]\d*$`,
			fmt.Sprintf(`(?m)^Revision:\s+%d$`, info.Revision),
			fmt.Sprintf(`(?m)^Objects:\s+%d$`, info.Objects),
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("snapshot save output does not match %s:\n%s", re, out)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("save left %d files in the directory, want only the backup", len(entries))
		}

		out = mustRun(t, servers, "cluster", "snapshot", "status", path)
		for _, re := range []string{
			fmt.Sprintf(`(?m)^Bytes:\s+%d$`, len(data)),
			fmt.Sprintf(`(?m)^Revision:\s+%d$`, info.Revision),
			`(?m)^Members:\s+m1, m2, m3\b`, // m4, removed above, may follow: RemoveMember keeps its MemberInfo
			`(?m)^KIND\s+OBJECTS$`,
			`(?m)^ConfigMap\s+5$`,
			`(?m)^Namespace\s+` + fmt.Sprint(info.Kinds[apimeta.KindNamespace]) + `$`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("snapshot status output does not match %s:\n%s", re, out)
			}
		}

		corrupt := filepath.Join(dir, "corrupt.snap")
		if err := os.WriteFile(corrupt, data[:len(data)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := ctlRun(t, servers, "cluster", "snapshot", "status", corrupt); code != 1 || !strings.Contains(errOut, "corrupt snapshot") {
			t.Fatalf("status of a truncated backup: exit %d, %q", code, errOut)
		}
		missing := filepath.Join(dir, "no-such-dir", "backup.snap")
		if code, _, errOut := ctlRun(t, servers, "cluster", "snapshot", "save", missing); code != 1 || !strings.Contains(errOut, "no-such-dir") {
			t.Fatalf("save into a missing directory: exit %d, %q", code, errOut)
		}
	})
}
