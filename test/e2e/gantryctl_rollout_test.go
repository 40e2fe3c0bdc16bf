package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// TestGantryctlRolloutAndDrain drives a Deployment with gantryctl on a
// whole local cluster: rollout status follows the real controller, history
// lists the revisions it made, undo goes back through it, and drain moves
// the pods of a node onto the other one.
func TestGantryctlRolloutAndDrain(t *testing.T) {
	w := startWorkloadCluster(t, 2)
	const name, selector = "web", "app=web"
	w.create(w.deploymentObject(name, 2, "1", "0"))
	ctl := func(args ...string) ctlResult {
		t.Helper()
		r := w.gantryctl("", args...)
		t.Logf("gantryctl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		return r
	}
	expect := func(r ctlResult, re string) {
		t.Helper()
		if r.code != 0 || !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Fatalf("exit %d, stdout %q does not match %q (stderr %q)", r.code, r.stdout, re, r.stderr)
		}
	}
	rolledOut := `deployment "web" successfully rolled out\n$`
	version := func(want string) {
		t.Helper()
		for _, p := range w.waitRunningReady(60*time.Second, selector, 2) {
			if v := envValue(p, "VERSION"); v != want {
				t.Fatalf("pod %s runs VERSION %s, want %s", podName(p), v, want)
			}
		}
	}

	expect(ctl("rollout", "status", "deploy/web", "--timeout=25s"), rolledOut)
	version("v1")

	w.updateDeployment(name, func(d *gantryv1.Deployment) {
		setEnv(d.GetSpec().GetTemplate().GetSpec(), "VERSION", "v2")
		d.Metadata.Annotations = map[string]string{"kubernetes.io/change-cause": "version 2"}
	})
	expect(ctl("rollout", "status", "deployment", "web", "--timeout=25s"), `(?s)Waiting for deployment "web" rollout to finish: .*`+rolledOut)
	version("v2")
	expect(ctl("rollout", "history", "deploy/web"), `^deployment/web\nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+version 2\n$`)
	expect(ctl("rollout", "history", "deploy/web", "--revision=1"), `(?s)with revision #1\n.*VERSION:\s+v1\n`)

	// Undo: the controller scales the v1 ReplicaSet back up as revision 3.
	expect(ctl("rollout", "undo", "deploy/web"), `^deployment/web rolled back\n$`)
	expect(ctl("rollout", "status", "deploy/web", "--timeout=25s"), rolledOut)
	version("v1")
	expect(ctl("rollout", "history", "deploy/web"), `^deployment/web\nREVISION\s+CHANGE-CAUSE\n2\s+version 2\n3\s+<none>\n$`)
	if d, err := w.deployment(name); err != nil || d.GetMetadata().GetAnnotations()["deployment.kubernetes.io/revision"] != "3" {
		t.Fatalf("Deployment %v (%v): want revision 3", d.GetMetadata(), err)
	}

	// Drain the node with the most pods: they come back on the other.
	pods := w.waitRunningReady(60*time.Second, selector, 2)
	byNode := map[string][]string{}
	for _, p := range pods {
		byNode[p.GetSpec().GetNodeName()] = append(byNode[p.GetSpec().GetNodeName()], podName(p))
	}
	node, other := "n1", "n2"
	if len(byNode["n2"]) > len(byNode["n1"]) {
		node, other = "n2", "n1"
	}
	r := ctl("drain", node, "--timeout=25s")
	expect(r, fmt.Sprintf(`^node/%s cordoned\n(?s:.*)node/%s drained\n$`, node, node))
	for _, p := range byNode[node] {
		if !strings.Contains(r.stdout, "evicting pod default/"+p+"\n") || !strings.Contains(r.stdout, "pod/"+p+" evicted\n") {
			t.Fatalf("drain output lacks the eviction of %s", p)
		}
	}
	for _, p := range w.waitRunningReady(60*time.Second, selector, 2) {
		if n := p.GetSpec().GetNodeName(); n != other {
			t.Fatalf("pod %s on %s after draining %s", podName(p), n, node)
		}
	}
	expect(ctl("uncordon", node), fmt.Sprintf(`^node/%s uncordoned\n$`, node))
	expect(ctl("scale", "deploy/web", "--replicas=1"), `^deployment/web scaled\n$`)
	w.waitRunningReady(60*time.Second, selector, 1)
}
