package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// TestGrpcurlWalkthrough runs the grpcurl commands of README.md's "Look
// inside with grpcurl" section, exactly as written there (only the
// addresses are replaced by the test cluster's, RV by a real
// resource_version, and the endless Watch gets -max-time), with the pinned
// grpcurl, and checks what each prints. If this fails after a README edit,
// the README is wrong.
func TestGrpcurlWalkthrough(t *testing.T) {
	if grpcurlErr != nil {
		t.Fatalf("build grpcurl: %v", grpcurlErr)
	}
	cmds := readmeGrpcurlCommands(t)
	c := startCluster(t, 3)
	servers := c.lc.Servers()
	cl := c.client()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// An object the README's label selector must leave out.
	if _, err := cl.Create(ctx, configMap("other", map[string]string{"app": "db"}, nil)); err != nil {
		t.Fatal(err)
	}

	byStep := map[string]readmeCommand{}
	for _, cmd := range cmds {
		byStep[cmd.step] = cmd
	}
	for _, step := range []string{"list", "ClusterService/Status", "ResourceService/Create", "ResourceService/Get",
		"ResourceService/List", "ResourceService/Watch", "ResourceService/Update", "ResourceService/Delete", "ClusterService/Snapshot"} {
		if _, ok := byStep[step]; !ok {
			t.Fatalf("README's grpcurl section has no %q command (found %d commands)", step, len(cmds))
		}
	}
	run := func(step string, repl ...string) (string, string, int) {
		t.Helper()
		args := byStep[step].args(servers, repl...)
		return runGrpcurl(t, ctx, args)
	}
	mustRun := func(step string, repl ...string) string {
		t.Helper()
		out, errOut, code := run(step, repl...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", byStep[step].text, code, out, errOut)
		}
		return out
	}

	// list: the services, health and reflection.
	out := mustRun("list")
	for _, svc := range []string{"gantry.v1.ClusterService", "gantry.v1.ResourceService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(svc) + `$`).MatchString(out) {
			t.Errorf("list does not show %s:\n%s", svc, out)
		}
	}

	// Status: the leader, the term, every member with its role and index.
	var st gantryv1.StatusResponse
	decodeOne(t, mustRun("ClusterService/Status"), &st)
	if st.GetLeaderId() == "" || st.GetTerm() == 0 || len(st.GetMembers()) != 3 {
		t.Errorf("Status: want a leader, a term and three members, got %v", &st)
	}
	for _, m := range st.GetMembers() {
		if (m.GetRole() != "leader" && m.GetRole() != "follower") || m.GetAppliedIndex() == 0 {
			t.Errorf("Status: member %v", m)
		}
	}

	// Bad input gets a precise status (the paragraph after the commands).
	out, errOut, code := run("ResourceService/Create", `"name":"demo"`, `"name":"Demo"`)
	if code != 64+int(codes.InvalidArgument) || !strings.Contains(errOut, `metadata.name: Invalid value: "Demo": a lowercase RFC 1123 subdomain`) {
		t.Errorf("Create named Demo: exit %d\n%s%s\nwant InvalidArgument naming the field and the rule", code, out, errOut)
	}

	// Create, then Get from another master.
	var created gantryv1.CreateResponse
	decodeOne(t, mustRun("ResourceService/Create"), &created)
	demo := created.GetObject().GetConfigMap()
	if demo.GetMetadata().GetName() != "demo" || demo.GetMetadata().GetNamespace() != "default" ||
		demo.GetMetadata().GetUid() == "" || demo.GetData()["greeting"] != "hello" || demo.GetMetadata().GetLabels()["app"] != "web" {
		t.Fatalf("Create returned %v", &created)
	}
	var got gantryv1.GetResponse
	decodeOne(t, mustRun("ResourceService/Get"), &got)
	if !proto.Equal(got.GetObject(), created.GetObject()) {
		t.Errorf("Get returned %v, want what Create returned: %v", &got, &created)
	}

	// List with the label selector: demo, not other.
	var list gantryv1.ListResponse
	decodeOne(t, mustRun("ResourceService/List"), &list)
	if len(list.GetItems()) != 1 || !proto.Equal(list.GetItems()[0], created.GetObject()) {
		t.Errorf("List app=web returned %v, want only demo", &list)
	}

	// Watch (bounded by -max-time) prints the current objects, then the
	// README's Update made while it runs.
	watchArgs := append([]string{"-max-time", "10"}, byStep["ResourceService/Watch"].args(servers)...)
	watch := startGrpcurl(t, ctx, watchArgs)
	waitFor(t, 20*time.Second, "the watch to print demo's ADDED event", func() error {
		return watch.has(func(ev *gantryv1.WatchEvent) bool {
			return ev.GetType() == gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED && objName(ev.GetObject()) == "demo"
		})
	})
	rv := demo.GetMetadata().GetResourceVersion()
	var updated gantryv1.UpdateResponse
	decodeOne(t, mustRun("ResourceService/Update", `"RV"`, `"`+rv+`"`), &updated)
	if updated.GetObject().GetConfigMap().GetData()["greeting"] != "hi" || updated.GetObject().GetConfigMap().GetMetadata().GetResourceVersion() == rv {
		t.Fatalf("Update returned %v", &updated)
	}
	waitFor(t, 20*time.Second, "the watch to print the update", func() error {
		return watch.has(func(ev *gantryv1.WatchEvent) bool {
			return ev.GetType() == gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED && objName(ev.GetObject()) == "demo" &&
				ev.GetObject().GetConfigMap().GetData()["greeting"] == "hi"
		})
	})
	code, stderr := watch.wait(t)
	if code != 64+int(codes.DeadlineExceeded) || !strings.Contains(stderr, "DeadlineExceeded") {
		t.Errorf("watch with -max-time: exit %d, stderr %q; want exit %d (DeadlineExceeded)", code, stderr, 64+int(codes.DeadlineExceeded))
	}

	// The same Update again: its resource_version is now stale.
	out, errOut, code = run("ResourceService/Update", `"RV"`, `"`+rv+`"`)
	if code != 64+int(codes.Aborted) || !strings.Contains(errOut, "Code: Aborted") {
		t.Errorf("Update with a stale resourceVersion: exit %d\n%s%s\nwant Aborted (exit %d)", code, out, errOut, 64+int(codes.Aborted))
	}

	// Delete, then it is gone.
	var deleted gantryv1.DeleteResponse
	decodeOne(t, mustRun("ResourceService/Delete"), &deleted)
	if objName(deleted.GetObject()) != "demo" {
		t.Errorf("Delete returned %v", &deleted)
	}
	if _, err := cl.Get(ctx, apimeta.KindConfigMap, "default", "demo"); status.Code(err) != codes.NotFound {
		t.Errorf("Get after Delete: %v, want NotFound", err)
	}

	// Snapshot streams the backup: chunks of data, the index in the first.
	dec := json.NewDecoder(strings.NewReader(mustRun("ClusterService/Snapshot")))
	var chunks, size int
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("Snapshot output: %v", err)
		}
		var chunk gantryv1.SnapshotResponse
		if err := protojson.Unmarshal(raw, &chunk); err != nil {
			t.Fatalf("Snapshot chunk: %v", err)
		}
		if chunks == 0 && chunk.GetIndex() == 0 {
			t.Errorf("first snapshot chunk has no index")
		}
		chunks++
		size += len(chunk.GetData())
	}
	if chunks == 0 || size == 0 {
		t.Errorf("Snapshot printed %d chunks, %d bytes", chunks, size)
	}
	t.Logf("ran %d README grpcurl commands; snapshot: %d chunk(s), %d bytes", len(cmds), chunks, size)
}

// readmeCommand is one grpcurl command from the README.
type readmeCommand struct {
	text  string   // as written
	words []string // shell words after "grpcurl"
	step  string   // "list" or the method, e.g. "ResourceService/Get"
}

// args returns the command's arguments with the README's 127.0.0.1:700N
// replaced by servers[N-1] and, in every word, each (old, new) pair of
// replace applied.
func (c readmeCommand) args(servers []string, replace ...string) []string {
	var out []string
	readmeAddr := regexp.MustCompile(`^127\.0\.0\.1:700([1-9])$`)
	r := strings.NewReplacer(replace...)
	for _, w := range c.words {
		if m := readmeAddr.FindStringSubmatch(w); m != nil {
			w = servers[int(m[1][0]-'1')]
		}
		out = append(out, r.Replace(w))
	}
	return out
}

// readmeGrpcurlCommands parses the first sh block of README.md's grpcurl
// section: comments and blank lines are skipped, backslash continuations
// joined, words split as the shell does for plain and single-quoted words.
func readmeGrpcurlCommands(t *testing.T) []readmeCommand {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## Look inside with grpcurl")
	if i < 0 {
		t.Fatal(`README.md has no "## Look inside with grpcurl" section`)
	}
	section := readme[i:]
	start := strings.Index(section, "```sh\n")
	if start < 0 {
		t.Fatal("README's grpcurl section has no sh block")
	}
	block := section[start+len("```sh\n"):]
	block = block[:strings.Index(block, "```")]
	block = strings.ReplaceAll(block, "\\\n", " ")
	var out []readmeCommand
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words, err := shellWords(line)
		if err != nil || len(words) < 3 || words[0] != "grpcurl" {
			t.Fatalf("README grpcurl command %q: not understood (%v)", line, err)
		}
		step := words[len(words)-1]
		if step != "list" {
			step = strings.TrimPrefix(step, "gantry.v1.")
		}
		out = append(out, readmeCommand{text: line, words: words[1:], step: step})
	}
	return out
}

// shellWords splits a line into words: whitespace separates them, single
// quotes keep everything literally. Other shell syntax is refused (the
// README's commands use none).
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune(`"$\|&;<>()*?~#`+"`", r):
			return nil, fmt.Errorf("unsupported shell syntax %q", r)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// runGrpcurl runs grpcurl to completion and returns stdout, stderr and the
// exit code.
func runGrpcurl(t *testing.T, ctx context.Context, args []string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, grpcurlBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit) && ctx.Err() == nil:
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatalf("grpcurl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	return "", "", 0
}

// decodeOne parses grpcurl's JSON output of one message.
func decodeOne(t *testing.T, out string, m proto.Message) {
	t.Helper()
	if err := protojson.Unmarshal([]byte(out), m); err != nil {
		t.Fatalf("parse grpcurl output as %T: %v\n%s", m, err, out)
	}
}

func objName(o *gantryv1.Object) string { return apimeta.Meta(o).GetName() }

// streamingGrpcurl is a grpcurl process whose output is read while it runs.
type streamingGrpcurl struct {
	cmd            *exec.Cmd
	stdout, stderr *lineBuffer
	done           chan struct{}
}

func startGrpcurl(t *testing.T, ctx context.Context, args []string) *streamingGrpcurl {
	t.Helper()
	s := &streamingGrpcurl{stdout: &lineBuffer{}, stderr: &lineBuffer{}, done: make(chan struct{})}
	s.cmd = exec.CommandContext(ctx, grpcurlBin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
	return s
}

// has reports (as nil) whether the responses printed so far hold an event
// that matches.
func (s *streamingGrpcurl) has(match func(*gantryv1.WatchEvent) bool) error {
	dec := json.NewDecoder(strings.NewReader(s.stdout.String()))
	n := 0
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// EOF, or a response not completely printed yet.
			select {
			case <-s.done:
				return fmt.Errorf("grpcurl exited (stderr %q) after %d events:\n%s", s.stderr.String(), n, s.stdout.String())
			default:
			}
			return fmt.Errorf("not among %d events yet", n)
		}
		var resp gantryv1.WatchResponse
		if err := protojson.Unmarshal(raw, &resp); err != nil {
			return fmt.Errorf("watch output: %w", err)
		}
		for _, ev := range resp.GetEvents() {
			n++
			if match(ev) {
				return nil
			}
		}
	}
}

// wait waits for the process to end and returns its exit code and stderr.
func (s *streamingGrpcurl) wait(t *testing.T) (int, string) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("grpcurl watch did not end at its -max-time")
	}
	return s.cmd.ProcessState.ExitCode(), s.stderr.String()
}
