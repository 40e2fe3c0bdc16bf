package ctl

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// eventFor is an event about obj, last seen ago before now.
func eventFor(obj *gantryv1.Object, name, typ, reason, msg string, ago time.Duration) *gantryv1.Event {
	m := apimeta.Meta(obj)
	ns := m.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	at := timestamppb.New(time.Now().Add(-ago))
	return &gantryv1.Event{
		Metadata:       &gantryv1.ObjectMeta{Name: name, Namespace: ns},
		InvolvedObject: &gantryv1.ObjectReference{Kind: apimeta.KindOf(obj), Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid()},
		Type:           typ, Reason: reason, Message: msg, Count: 1,
		Source:         &gantryv1.EventSource{Component: "test"},
		FirstTimestamp: at, LastTimestamp: at,
	}
}

func (c *opsCluster) describeOut(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := c.run(t, append([]string{"describe"}, args...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("gantryctl describe %s: exit %d, stderr %q, stdout:\n%s", strings.Join(args, " "), code, errOut, out)
	}
	return out
}

func TestDescribe(t *testing.T) {
	c := newOpsCluster(t)
	getScene(t, c)

	t.Run("deployment and its replicasets", func(t *testing.T) {
		dep := c.get(t, apimeta.KindDeployment, "default", "web")
		cur := ownedReplicaSet("web-new", dep)
		cur.Spec.Replicas = opsInt32(2)
		c.create(t, cur)
		old := ownedReplicaSet("web-old", dep)
		old.Spec.Replicas = opsInt32(1)
		old.Spec.Template = opsTemplate("web", "nginx:old")
		c.create(t, old)
		// Same labels, not owned: not the Deployment's.
		stranger := ownedReplicaSet("web-stranger", dep)
		stranger.Metadata.OwnerReferences = nil
		c.create(t, stranger)

		out := c.describeOut(t, "deploy", "web")
		mustMatch(t, "describe deploy web", out,
			`(?m)^Name:\s+web$`, `(?m)^Namespace:\s+default$`, `(?m)^Selector:\s+app=web$`,
			`(?m)^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$`,
			`(?m)^OldReplicaSets:\s+web-old \(0/1 replicas created\)$`,
			`(?m)^NewReplicaSet:\s+web-new \(0/2 replicas created\)$`,
			`(?m)^Events:\s+<none>$`)
		if strings.Contains(out, "web-stranger") {
			t.Fatalf("a replicaset the deployment does not own is shown:\n%s", out)
		}
		// Both spellings, and several objects separated by a blank line.
		if got := c.describeOut(t, "deployments.apps/web"); got != out {
			t.Fatalf("describe deployments.apps/web differs from describe deploy web")
		}
	})

	t.Run("node", func(t *testing.T) {
		out := c.describeOut(t, "no", "n1")
		mustMatch(t, "describe no n1", out,
			`(?m)^Name:\s+n1$`, `(?m)^Roles:\s+worker$`, `(?m)^Unschedulable:\s+false$`,
			`(?m)^\s+Ready\s+True\s+`, `(?m)^\s+InternalIP:\s+10\.0\.0\.1$`,
			`(?m)^\s+Node Agent Version:\s+v1\.2\.3$`,
			`(?m)^Non-terminated Pods:\s+\(1 in total\)$`, `(?m)^\s+default\s+p1\s+`)
		// A node's events live in default, as Kubernetes records them.
		n := c.get(t, apimeta.KindNode, "", "n1")
		c.create(t, eventFor(n, "n1.1", "Normal", "NodeReady", "Node n1 status is now: NodeReady", time.Minute))
		mustMatch(t, "describe node n1 with an event", c.describeOut(t, "node/n1", "-n", "prod"),
			`(?m)^\s+Normal\s+NodeReady\s+\S+\s+test\s+Node n1 status is now: NodeReady$`)
	})

	t.Run("pod with events", func(t *testing.T) {
		p2 := c.get(t, apimeta.KindPod, "default", "p2")
		p1 := c.get(t, apimeta.KindPod, "default", "p1")
		c.create(t, eventFor(p2, "p2.1", "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.", 3*time.Minute))
		c.create(t, eventFor(p2, "p2.2", "Normal", "Scheduled", "Successfully assigned\ndefault/p2 to n1", time.Minute))
		c.create(t, eventFor(p1, "p1.1", "Normal", "Pulled", "about p1", time.Minute))
		// An event about an earlier pod of the same name (another uid).
		gone := eventFor(p2, "p2.old", "Normal", "Killing", "about the old p2", time.Minute)
		gone.InvolvedObject.Uid = "another-uid"
		c.create(t, gone)

		out := c.describeOut(t, "pod", "p2")
		mustMatch(t, "describe pod p2", out,
			`(?m)^Name:\s+p2$`, `(?m)^Node:\s+<none>$`, `(?m)^Status:\s+Pending$`,
			`(?m)^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----\s+------\s+----\s+----\s+-------\n`+
				`\s+Warning\s+FailedScheduling\s+3m(\d+s)?\s+test\s+0/1 nodes are available: 1 Insufficient cpu\.\n`+
				`\s+Normal\s+Scheduled\s+\d+s\s+test\s+Successfully assigned default/p2 to n1\n$`)
		if strings.Contains(out, "about p1") || strings.Contains(out, "about the old p2") {
			t.Fatalf("another object's events are shown:\n%s", out)
		}
	})

	t.Run("several and by selector", func(t *testing.T) {
		out := c.describeOut(t, "pods")
		if n := len(regexp.MustCompile(`(?m)^Name:`).FindAllString(out, -1)); n != 2 {
			t.Fatalf("describe pods showed %d pods, want default's 2:\n%s", n, out)
		}
		mustMatch(t, "describe pods", out, `(?m)^Name:\s+p1$`, `\n\nName:\s+p2\n`)
		out = c.describeOut(t, "pods", "-l", "app=db")
		mustMatch(t, "describe pods -l app=db", out, `^Name:\s+p2\n`)
		if strings.Contains(out, "p1") {
			t.Fatalf("-l app=db showed p1:\n%s", out)
		}
		mustMatch(t, "describe pod p1 p2", c.describeOut(t, "pod", "p1", "p2"), `^Name:\s+p1\n(?s).*\n\nName:\s+p2\n`)
	})

	t.Run("not found", func(t *testing.T) {
		out := c.mustFail(t, []string{"describe", "pod", "nope"}, "error: pod/nope: not found")
		if out != "" {
			t.Fatalf("stdout %q", out)
		}
		c.mustFail(t, []string{"describe", "deploy/nope"}, "error: deployment/nope: not found")
		// The ones found are described; each missing one gets its line.
		out, errOut, code := c.run(t, "describe", "pod", "nope", "p1", "gone")
		if code != 1 || !regexp.MustCompile(`^Name:\s+p1\n`).MatchString(out) || strings.Count(out, "Name:") != 1 {
			t.Fatalf("describe pod nope p1 gone: exit %d, stdout:\n%s", code, out)
		}
		if errOut != "error: pod/nope: not found: Pod \"default/nope\": not found\nerror: pod/gone: not found: Pod \"default/gone\": not found\n" {
			t.Fatalf("stderr %q, want one line per missing pod", errOut)
		}
		c.mustFail(t, []string{"describe", "widgets"}, `resource type "widgets"`)
		c.mustFail(t, []string{"describe"}, "a resource type is required")
	})

	t.Run("none found", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"cm"}, "No resources found in default namespace.\n"},
			{[]string{"svc", "-n", "prod"}, "No resources found in prod namespace.\n"},
			{[]string{"pods", "-l", "app=nothing"}, "No resources found in default namespace.\n"},
			{[]string{"nodes", "-l", "x=y"}, "No resources found\n"},
		} {
			out, errOut, code := c.run(t, append([]string{"describe"}, tc.args...)...)
			if code != 0 || out != "" || errOut != tc.want {
				t.Errorf("describe %v: exit %d, stdout %q, stderr %q; want exit 0 and %q on stderr", tc.args, code, out, errOut, tc.want)
			}
		}
	})
}

// TestDescribeKeepsTheNewestEvents: an object with more events than
// describe shows keeps the newest ones.
func TestDescribeKeepsTheNewestEvents(t *testing.T) {
	c := newOpsCluster(t)
	pod := c.create(t, watchPod("busy"))
	ctx := context.Background()
	for i := 0; i < maxDescribeEvents+5; i++ {
		// Event i is i minutes old, so events 0..49 are the newest.
		ev := eventFor(pod, fmt.Sprintf("busy.%d", i), "Normal", "Tick", fmt.Sprintf("tick-%d-", i), time.Duration(i)*time.Minute)
		if _, err := c.cl.Create(ctx, apimeta.Wrap(ev)); err != nil {
			t.Fatal(err)
		}
	}
	out := c.describeOut(t, "pod", "busy")
	if n := strings.Count(out, "tick-"); n != maxDescribeEvents {
		t.Fatalf("%d events shown, want %d", n, maxDescribeEvents)
	}
	for i := 0; i < maxDescribeEvents+5; i++ {
		if shown := strings.Contains(out, fmt.Sprintf("tick-%d-", i)); shown != (i < maxDescribeEvents) {
			t.Fatalf("event %d shown=%v, want only the newest %d", i, shown, maxDescribeEvents)
		}
	}
	// Oldest first, newest last.
	if strings.Index(out, "tick-1-") > strings.Index(out, "tick-0-") {
		t.Fatal("events are not oldest first")
	}
}
