package ctl

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/manifest"
	"github.com/gantryio/gantry/internal/testutil"
)

// getScene is what the get and describe tests look at: a ready node n1,
// pods p1 (app=web, running on n1) and p2 (app=db, pending), a Deployment
// web, and a pod in namespace prod.
func getScene(t *testing.T, c *opsCluster) {
	t.Helper()
	ctx := context.Background()
	node := c.create(t, &gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: "n1", Labels: map[string]string{"node-role.kubernetes.io/worker": ""}}})
	n := node.GetNode()
	n.Status = &gantryv1.NodeStatus{
		Conditions: []*gantryv1.Condition{{Type: "Ready", Status: "True"}},
		Addresses:  []*gantryv1.NodeAddress{{Type: "InternalIP", Address: "10.0.0.1"}},
		NodeInfo:   &gantryv1.NodeSystemInfo{KubeletVersion: "v1.2.3", OsImage: "Gantry OS", KernelVersion: "6.1", ContainerRuntimeVersion: "gantry://1"},
	}
	if _, err := c.cl.UpdateStatus(ctx, node); err != nil {
		t.Fatal(err)
	}
	p1 := c.create(t, &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: "p1", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec:     &gantryv1.PodSpec{NodeName: "n1", Containers: []*gantryv1.Container{{Name: "c", Image: "nginx"}}},
	})
	p1.GetPod().Status = &gantryv1.PodStatus{Phase: "Running", PodIp: "10.1.0.5",
		ContainerStatuses: []*gantryv1.ContainerStatus{{Name: "c", Ready: true, RestartCount: 0,
			State: &gantryv1.ContainerState{Running: &gantryv1.ContainerStateRunning{}}}},
		Conditions: []*gantryv1.Condition{{Type: "Ready", Status: "True"}}}
	if _, err := c.cl.UpdateStatus(ctx, p1); err != nil {
		t.Fatal(err)
	}
	c.create(t, &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: "p2", Namespace: "default", Labels: map[string]string{"app": "db"}},
		Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: "postgres"}}},
	})
	c.create(t, opsDeployment("web", 2, "nginx"))
	c.create(t, &gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "prod"}})
	c.create(t, &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: "p3", Namespace: "prod"},
		Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: "nginx"}}},
	})
}

// mustMatch fails unless s matches every one of the regular expressions.
func mustMatch(t *testing.T, what, s string, res ...string) {
	t.Helper()
	for _, re := range res {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Fatalf("%s: output does not match %s:\n%s", what, re, s)
		}
	}
}

// getOut runs gantryctl get and returns stdout, failing unless it exits 0
// with nothing on stderr.
func (c *opsCluster) getOut(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := c.run(t, append([]string{"get"}, args...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("gantryctl get %s: exit %d, stderr %q, stdout:\n%s", strings.Join(args, " "), code, errOut, out)
	}
	return out
}

// age is an AGE cell: "0s", "12s", "3m", "3m5s" and so on.
const age = `\d+[smhdy](\d+[smh])?`

func TestGetTables(t *testing.T) {
	c := newOpsCluster(t)
	getScene(t, c)

	t.Run("pods", func(t *testing.T) {
		out := c.getOut(t, "pods")
		mustMatch(t, "get pods", out,
			`^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n`,
			`(?m)^p1\s+1/1\s+Running\s+0\s+`+age+`$`,
			`(?m)^p2\s+0/1\s+Pending\s+0\s+`+age+`$`)
		if strings.Count(out, "\n") != 3 || strings.Contains(out, "p3") {
			t.Fatalf("get pods lists more than default's two pods:\n%s", out)
		}
		out = c.getOut(t, "po", "-o", "wide")
		mustMatch(t, "get po -o wide", out,
			`^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n`,
			`(?m)^p1\s+1/1\s+Running\s+0\s+`+age+`\s+10\.1\.0\.5\s+n1\s+<none>\s+<none>$`,
			`(?m)^p2\s+0/1\s+Pending\s+0\s+`+age+`\s+<none>\s+<none>\s+<none>\s+<none>$`)
	})
	t.Run("deployments", func(t *testing.T) {
		mustMatch(t, "get deploy", c.getOut(t, "deploy"),
			`^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0/2\s+0\s+0\s+`+age+`\n$`)
		mustMatch(t, "get deployments.apps -o wide", c.getOut(t, "deployments.apps", "-o", "wide"),
			`^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\nweb\s+0/2\s+0\s+0\s+`+age+`\s+c\s+nginx\s+app=web\n$`)
	})
	t.Run("nodes", func(t *testing.T) {
		mustMatch(t, "get nodes", c.getOut(t, "nodes"),
			`^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\nn1\s+Ready\s+worker\s+`+age+`\s+v1\.2\.3\n$`)
		mustMatch(t, "get no -o wide", c.getOut(t, "no", "-o", "wide"),
			`^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\n`,
			`(?m)^n1\s+Ready\s+worker\s+`+age+`\s+v1\.2\.3\s+10\.0\.0\.1\s+<none>\s+Gantry OS\s+6\.1\s+gantry://1$`)
		// -n and -A change nothing for a cluster-scoped kind.
		mustMatch(t, "get no -A", c.getOut(t, "no", "-A"), `^NAME\s+STATUS`)
		mustMatch(t, "get no -n prod", c.getOut(t, "no", "-n", "prod"), `(?m)^n1\s+Ready`)
	})
	t.Run("no headers", func(t *testing.T) {
		mustMatch(t, "--no-headers", c.getOut(t, "deploy", "--no-headers"), `^web\s+0/2\s+0\s+0\s+`+age+`\n$`)
	})
	t.Run("names", func(t *testing.T) {
		if out := c.getOut(t, "pods", "-o", "name"); out != "pod/p1\npod/p2\n" {
			t.Fatalf("get pods -o name = %q", out)
		}
		if out := c.getOut(t, "deploy", "web", "-o", "name"); out != "deployment.apps/web\n" {
			t.Fatalf("get deploy web -o name = %q", out)
		}
		if out := c.getOut(t, "deploy,po", "-o", "name"); out != "deployment.apps/web\npod/p1\npod/p2\n" {
			t.Fatalf("get deploy,po -o name = %q", out)
		}
	})
	t.Run("label selector", func(t *testing.T) {
		if out := c.getOut(t, "pods", "-l", "app=web", "-o", "name"); out != "pod/p1\n" {
			t.Fatalf("-l app=web: %q", out)
		}
		if out := c.getOut(t, "pods", "-l", "app!=web", "-o", "name"); out != "pod/p2\n" {
			t.Fatalf("-l app!=web: %q", out)
		}
		if out := c.getOut(t, "pods", "--selector", "app in (web,db)", "-o", "name"); out != "pod/p1\npod/p2\n" {
			t.Fatalf("-l 'app in (web,db)': %q", out)
		}
		c.mustFail(t, []string{"get", "pods", "-l", "app in web"}, "error: list pods: invalid")
	})
	t.Run("field selector", func(t *testing.T) {
		if out := c.getOut(t, "pods", "--field-selector", "spec.nodeName=n1", "-o", "name"); out != "pod/p1\n" {
			t.Fatalf("spec.nodeName=n1: %q", out)
		}
		if out := c.getOut(t, "pods", "--field-selector", "status.phase!=Running", "-o", "name"); out != "pod/p2\n" {
			t.Fatalf("status.phase!=Running: %q", out)
		}
		if out := c.getOut(t, "pods", "-A", "--field-selector", "metadata.namespace=prod", "-o", "name"); out != "pod/p3\n" {
			t.Fatalf("-A metadata.namespace=prod: %q", out)
		}
		c.mustFail(t, []string{"get", "pods", "--field-selector", "spec.bogus=1"}, "error: list pods: invalid", "spec.bogus")
	})
	t.Run("all namespaces", func(t *testing.T) {
		out := c.getOut(t, "pods", "-A")
		mustMatch(t, "get pods -A", out,
			`^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n`,
			`(?m)^default\s+p1\s+1/1\s+Running\s+0\s+`+age+`$`,
			`(?m)^default\s+p2\s+`,
			`(?m)^prod\s+p3\s+0/1\s+Pending\s+`)
		mustMatch(t, "get pods -n prod", c.getOut(t, "pods", "-n", "prod"), `^NAME\s+READY.*\np3\s+0/1\s+Pending\s+0\s+`+age+`\n$`)
	})
	t.Run("several types", func(t *testing.T) {
		out := c.getOut(t, "deploy,po")
		tables := strings.Split(out, "\n\n")
		if len(tables) != 2 {
			t.Fatalf("get deploy,po: want two tables separated by a blank line:\n%s", out)
		}
		mustMatch(t, "deployments table", tables[0], `^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps/web\s+0/2\s+`)
		mustMatch(t, "pods table", tables[1], `^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod/p1\s+1/1\s+Running`, `(?m)^pod/p2\s+0/1\s+Pending`)
		// An empty type prints nothing, not even its header.
		mustMatch(t, "get cm,deploy", c.getOut(t, "cm,deploy"), `^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps/web\s+`)
	})
	t.Run("by name", func(t *testing.T) {
		mustMatch(t, "get deploy/web", c.getOut(t, "deploy/web"), `^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0/2\s+0\s+0\s+`+age+`\n$`)
		out := c.getOut(t, "pod", "p2", "p1")
		mustMatch(t, "get pod p2 p1", out, `^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\np2\s+.*\np1\s+.*\n$`)
		out = c.getOut(t, "po/p1", "deploy/web")
		mustMatch(t, "get po/p1 deploy/web", out, `^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod/p1\s+1/1\s+Running\s+0\s+`+age+`\n\nNAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps/web\s+0/2`)
		mustMatch(t, "get no n1", c.getOut(t, "no", "n1"), `(?m)^n1\s+Ready`)
		mustMatch(t, "get pod p3 -n prod", c.getOut(t, "pod", "p3", "-n", "prod"), `(?m)^p3\s+0/1`)
	})
}

func TestGetErrors(t *testing.T) {
	c := newOpsCluster(t)
	getScene(t, c)

	t.Run("not found", func(t *testing.T) {
		out, errOut, code := c.run(t, "get", "pod", "x")
		if code != 1 || out != "" || errOut != "error: pod/x: not found: Pod \"default/x\": not found\n" {
			t.Fatalf("get pod x: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		// The ones found are printed; each missing one gets its line.
		out, errOut, code = c.run(t, "get", "pod", "p1", "x", "y")
		if code != 1 || !regexp.MustCompile(`^NAME\s+READY.*\np1\s+`).MatchString(out) || strings.Count(out, "\n") != 2 {
			t.Fatalf("get pod p1 x y: exit %d, stdout %q", code, out)
		}
		if strings.Count(errOut, "\n") != 2 || !strings.Contains(errOut, "error: pod/x: not found") || !strings.Contains(errOut, "error: pod/y: not found") {
			t.Fatalf("get pod p1 x y: stderr %q, want one line per missing pod", errOut)
		}
		c.mustFail(t, []string{"get", "deploy/nope"}, "error: deployment/nope: not found")
		c.mustFail(t, []string{"get", "pod", "p3"}, "error: pod/p3: not found") // it is in prod
	})
	t.Run("none found", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"svc", "-n", "prod"}, "No resources found in prod namespace.\n"},
			{[]string{"cm"}, "No resources found in default namespace.\n"},
			{[]string{"cm,svc"}, "No resources found in default namespace.\n"},
			{[]string{"pods", "-l", "app=nothing"}, "No resources found in default namespace.\n"},
			{[]string{"cm", "-A"}, "No resources found\n"},
			{[]string{"nodes", "-l", "x=y"}, "No resources found\n"},
			{[]string{"nodes,cm", "-l", "x=y"}, "No resources found in default namespace.\n"},
		} {
			out, errOut, code := c.run(t, append([]string{"get"}, tc.args...)...)
			if code != 0 || out != "" || errOut != tc.want {
				t.Errorf("get %v: exit %d, stdout %q, stderr %q; want exit 0 and %q on stderr", tc.args, code, out, errOut, tc.want)
			}
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		c.mustFail(t, []string{"get", "pods", "-o", "xml"}, `--output: "xml" is not one of wide, yaml, json, name`)
		out := c.mustFail(t, []string{"get", "widgets"}, `the server doesn't have a resource type "widgets"`, "known:", "deployments", "pods", "services")
		if out != "" {
			t.Fatalf("stdout %q", out)
		}
		c.mustFail(t, []string{"get"}, "a resource type is required")
		c.mustFail(t, []string{"get", "deploy,po", "web"}, "names can be given with one resource type only")
		c.mustFail(t, []string{"get", "deploy/"}, "expected TYPE/NAME")
	})
}

// decodeOutput reads get -o yaml|json output back, status included.
func decodeOutput(t *testing.T, out string) []*gantryv1.Object {
	t.Helper()
	opts := manifest.DefaultOptions()
	opts.KeepStatus = true
	docs, warnings, err := manifest.Decode("get-output", []byte(out), opts)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("decode the output: %v %v\n%s", err, warnings, out)
	}
	var objs []*gantryv1.Object
	for _, d := range docs {
		objs = append(objs, d.Object)
	}
	return objs
}

// TestGetYAMLJSONRoundTrip: what get -o yaml|json prints decodes back to
// the stored objects, field for field.
func TestGetYAMLJSONRoundTrip(t *testing.T) {
	c := newOpsCluster(t)
	getScene(t, c)
	c.create(t, &gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Name: "web", Namespace: "default", Annotations: map[string]string{"a": "multi\nline"}},
		Spec: &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []*gantryv1.ServicePort{{Name: "http", Port: 80, TargetPort: "8080"}, {Name: "named", Port: 81, TargetPort: "http"}}},
	})
	c.create(t, &gantryv1.Secret{Metadata: &gantryv1.ObjectMeta{Name: "pw", Namespace: "default"}, Data: map[string][]byte{"bin": {0, 1, 2, 255}}})
	equal := func(t *testing.T, what string, got []*gantryv1.Object, want ...*gantryv1.Object) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d objects, want %d", what, len(got), len(want))
		}
		for i := range want {
			if !proto.Equal(got[i], want[i]) {
				t.Fatalf("%s: object %d differs from the stored one (-stored +decoded):\n%s", what, i, cmp.Diff(want[i], got[i], protocmp.Transform()))
			}
		}
	}
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			for _, o := range []struct{ kind, ns, name, arg string }{
				{apimeta.KindDeployment, "default", "web", "deploy/web"},
				{apimeta.KindPod, "default", "p1", "pod/p1"},
				{apimeta.KindNode, "", "n1", "node/n1"},
				{apimeta.KindService, "default", "web", "svc/web"},
				{apimeta.KindSecret, "default", "pw", "secret/pw"},
			} {
				out := c.getOut(t, o.arg, "-o", format)
				if format == "json" && !strings.HasPrefix(out, "{\n    \"apiVersion\"") {
					t.Fatalf("-o json is not kubectl's indented JSON:\n%s", out)
				}
				if strings.Contains(out, `"kind": "List"`) || strings.Contains(out, "kind: List") {
					t.Fatalf("one object by name printed as a List:\n%s", out)
				}
				equal(t, o.arg, decodeOutput(t, out), c.get(t, o.kind, o.ns, o.name))
			}
			// A list prints as one List, in the order get lists.
			out := c.getOut(t, "pods", "-o", format)
			if !strings.Contains(out, "List") {
				t.Fatalf("get pods -o %s is not a List:\n%s", format, out)
			}
			equal(t, "pods", decodeOutput(t, out), c.get(t, apimeta.KindPod, "default", "p1"), c.get(t, apimeta.KindPod, "default", "p2"))
			// Several types, and several names, print as one List too.
			got := decodeOutput(t, c.getOut(t, "deploy,no", "-o", format))
			equal(t, "deploy,no", got, c.get(t, apimeta.KindDeployment, "default", "web"), c.get(t, apimeta.KindNode, "", "n1"))
			got = decodeOutput(t, c.getOut(t, "pod", "p2", "p1", "-o", format))
			equal(t, "pod p2 p1", got, c.get(t, apimeta.KindPod, "default", "p2"), c.get(t, apimeta.KindPod, "default", "p1"))
			// Nothing found: an empty List, and no message.
			if got := decodeOutput(t, c.getOut(t, "cm", "-o", format)); len(got) != 0 {
				t.Fatalf("empty list decoded to %d objects", len(got))
			}
		})
	}
}

// waitMatch waits until the run's stdout matches re.
func waitMatch(t *testing.T, r *opsRun, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	testutil.Eventually(t, 20*time.Second, func() error {
		out := r.out.String()
		if rx.MatchString(out) {
			return nil
		}
		select {
		case <-r.done:
			t.Fatalf("gantryctl ended (exit %d) before printing %s:\n%s\n%s", r.code, re, out, r.err.String())
		default:
		}
		return fmt.Errorf("stdout %q does not match %s", out, re)
	})
}

func watchPod(name string) *gantryv1.Pod {
	return &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "w"}},
		Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: "nginx"}}},
	}
}

// TestGetWatch: get -w lists, then prints a row per change under the one
// header, until its context ends; then it exits 0.
func TestGetWatch(t *testing.T) {
	c := newOpsCluster(t)
	c.create(t, watchPod("w1"))
	ctx := context.Background()

	t.Run("table", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		r := c.start(wctx, "get", "pods", "-w")
		waitMatch(t, r, `^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nw1\s+0/1\s+Pending\s+0\s+`+age+`\n$`)

		p := c.create(t, watchPod("w2"))
		waitMatch(t, r, `(?m)^w2\s+0/1\s+Pending\s+0\s+`+age+`$`)
		p.GetPod().Status = &gantryv1.PodStatus{Phase: "Failed", Reason: "Evicted"}
		if _, err := c.cl.UpdateStatus(ctx, p); err != nil {
			t.Fatal(err)
		}
		waitMatch(t, r, `(?m)^w2\s+0/1\s+Evicted\s+0\s+`+age+`$`)
		grace := int64(0)
		if _, err := c.cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindPod, Namespace: "default", Name: "w2", GracePeriodSeconds: &grace}); err != nil {
			t.Fatal(err)
		}
		// The deletion prints the pod's row once more, as kubectl does.
		waitMatch(t, r, `(?s)w2.*\nw2.*\nw2\s+0/1\s+\S+\s+0\s+`+age+`\n$`)

		cancel()
		r.wait(t)
		if r.code != 0 || r.err.String() != "" {
			t.Fatalf("after cancel: exit %d, stderr %q", r.code, r.err.String())
		}
		if n := strings.Count(r.out.String(), "NAME"); n != 1 {
			t.Fatalf("%d headers, want 1:\n%s", n, r.out.String())
		}
		if strings.Count(r.out.String(), "w1") != 1 {
			t.Fatalf("w1 printed again though it did not change:\n%s", r.out.String())
		}
	})

	t.Run("watch-only, one name, -o name", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sentinel := watchPod("ws")
		sentinel.Metadata.Labels = map[string]string{"app": "sentinel"}
		c.create(t, sentinel)
		only := c.start(wctx, "get", "pods", "--watch-only", "-o", "name")
		named := c.start(wctx, "get", "pod/w3", "-w", "-o", "name")
		wide := c.start(wctx, "get", "pods", "-w", "-A", "-l", "app=w", "-o", "wide")
		waitMatch(t, wide, `^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\ndefault\s+w1\s+`)
		// --watch-only prints nothing until something changes: change the
		// sentinel until it does, so the watch is known to be running.
		testutil.Eventually(t, 20*time.Second, func() error {
			if strings.Contains(only.out.String(), "pod/ws\n") {
				return nil
			}
			p := c.get(t, apimeta.KindPod, "default", "ws")
			p.GetPod().Metadata.Annotations = map[string]string{"touch": time.Now().String()}
			if _, err := c.cl.Update(ctx, p); err != nil {
				return err
			}
			return errors.New("the --watch-only run has not printed the sentinel yet")
		})
		c.create(t, watchPod("w4"))
		c.create(t, watchPod("w3"))
		waitMatch(t, only, `^(pod/ws\n)+pod/w4\npod/w3\n$`)
		waitMatch(t, named, `^pod/w3\n$`)
		waitMatch(t, wide, `(?m)^default\s+w3\s+0/1\s+Pending`)
		cancel()
		for _, r := range []*opsRun{only, named, wide} {
			r.wait(t)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.err.String())
			}
		}
		if strings.Contains(only.out.String(), "w1") || strings.Contains(named.out.String(), "w4") {
			t.Fatalf("--watch-only printed the list, or a named watch printed another pod:\n%s\n%s", only.out.String(), named.out.String())
		}
	})

	t.Run("json", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		r := c.start(wctx, "get", "pod", "w1", "-w", "-o", "json")
		waitMatch(t, r, `"name": "w1"`)
		cancel()
		r.wait(t)
		if got := decodeOutput(t, r.out.String()); len(got) != 1 || !proto.Equal(got[0], c.get(t, apimeta.KindPod, "default", "w1")) {
			t.Fatalf("watch -o json printed %v", got)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		c.mustFail(t, []string{"get", "pods,deploy", "-w"}, "-w follows one type")
		c.mustFail(t, []string{"get", "pod", "a", "b", "-w"}, "-w follows one type")
	})
}
