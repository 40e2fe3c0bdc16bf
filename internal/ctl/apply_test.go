package ctl

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/applymerge"
	"github.com/gantryio/gantry/internal/manifest"
)

// writeManifest writes content to dir/name (creating directories) and
// returns the path.
func writeManifest(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runIn runs gantryctl with stdin as its standard input.
func (c *opsCluster) runIn(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	full := append([]string{"--server", c.servers}, args...)
	code := Execute(ctx, Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, full)
	return out.String(), errOut.String(), code
}

// webManifest is a Deployment manifest; replicas < 0 leaves replicas out,
// extra is YAML appended to the container (indented by the caller).
func webManifest(name string, replicas int, labels map[string]string, extra string) string {
	var b strings.Builder
	b.WriteString("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n")
	if len(labels) > 0 {
		b.WriteString("  labels:\n")
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			b.WriteString("    " + k + ": " + labels[k] + "\n")
		}
	}
	b.WriteString("spec:\n")
	if replicas >= 0 {
		b.WriteString("  replicas: " + strconv.Itoa(replicas) + "\n")
	}
	b.WriteString(`  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
      - name: c
        image: nginx
` + extra)
	return b.String()
}

func envNames(d *gantryv1.Deployment) []string {
	var out []string
	for _, e := range d.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetEnv() {
		out = append(out, e.GetName())
	}
	return out
}

func TestApplyCreateUpdateUnchanged(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()
	f := writeManifest(t, dir, "web.yaml", webManifest("web", 2, map[string]string{"app": "web"}, ""))

	c.mustRun(t, "deployment/web created\n", "apply", "-f", f)
	d := c.deployment(t, "web")
	if *d.GetSpec().Replicas != 2 || d.GetMetadata().GetAnnotations()[applymerge.LastAppliedAnnotation] == "" {
		t.Fatalf("created %v, want 2 replicas and the last-applied annotation", d)
	}
	rv := d.GetMetadata().GetResourceVersion()

	c.mustRun(t, "deployment/web unchanged\n", "apply", "-f", f)
	if got := c.deployment(t, "web").GetMetadata().GetResourceVersion(); got != rv {
		t.Fatalf("unchanged apply wrote the object: resourceVersion %s -> %s", rv, got)
	}

	writeManifest(t, dir, "web.yaml", webManifest("web", 4, map[string]string{"app": "web"}, ""))
	c.mustRun(t, "deployment/web configured\n", "apply", "-f", f)
	if got := *c.deployment(t, "web").GetSpec().Replicas; got != 4 {
		t.Fatalf("replicas %d after configured, want 4", got)
	}
	c.mustRun(t, "deployment/web unchanged\n", "apply", "-f", f)
}

// TestApplyThreeWay: what the manifest drops is removed; what others set
// (a label through the API, a scale when the manifest has no replicas)
// stays.
func TestApplyThreeWay(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()
	env := "        env:\n        - {name: FOO, value: foo}\n        - {name: BAR, value: bar}\n"
	f := writeManifest(t, dir, "api.yaml", webManifest("api", -1, map[string]string{"app": "api", "tier": "back"}, env))
	c.mustRun(t, "deployment/api created\n", "apply", "-f", f)

	// Others change the object: a scale and a label.
	c.mustRun(t, "deployment/api scaled\n", "scale", "deploy/api", "--replicas=3")
	d := c.deployment(t, "api")
	d.Metadata.Labels["owner"] = "ops"
	if _, err := c.cl.Update(context.Background(), apimeta.Wrap(d)); err != nil {
		t.Fatal(err)
	}
	c.mustRun(t, "deployment/api unchanged\n", "apply", "-f", f)

	// The manifest drops the tier label and the FOO variable.
	writeManifest(t, dir, "api.yaml", webManifest("api", -1, map[string]string{"app": "api"}, "        env:\n        - {name: BAR, value: bar}\n"))
	c.mustRun(t, "deployment/api configured\n", "apply", "-f", f)
	d = c.deployment(t, "api")
	labels := d.GetMetadata().GetLabels()
	if _, ok := labels["tier"]; ok {
		t.Errorf("label tier kept, want it removed with the manifest's")
	}
	if labels["owner"] != "ops" || labels["app"] != "api" {
		t.Errorf("labels %v, want owner=ops (set by someone else) and app=api kept", labels)
	}
	if got := strings.Join(envNames(d), ","); got != "BAR" {
		t.Errorf("env %s, want BAR alone", got)
	}
	if got := *d.GetSpec().Replicas; got != 3 {
		t.Errorf("replicas %d, want the scale's 3 kept (the manifest has none)", got)
	}
	c.mustRun(t, "deployment/api unchanged\n", "apply", "-f", f)

	// Replicas in the manifest again: the manifest wins, as with kubectl.
	writeManifest(t, dir, "api.yaml", webManifest("api", 1, map[string]string{"app": "api"}, "        env:\n        - {name: BAR, value: bar}\n"))
	c.mustRun(t, "deployment/api configured\n", "apply", "-f", f)
	if got := *c.deployment(t, "api").GetSpec().Replicas; got != 1 {
		t.Errorf("replicas %d, want the manifest's 1", got)
	}
}

const multiDoc = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: pw
type: Opaque
stringData:
  password: not-real
---
` + "%DEPLOY%" + `---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
`

func TestApplyMultiDocJSONStdinDir(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()

	t.Run("multi-doc", func(t *testing.T) {
		f := writeManifest(t, dir, "all.yaml", strings.Replace(multiDoc, "%DEPLOY%", webManifest("web", 1, nil, ""), 1))
		want := "configmap/cfg created\nsecret/pw created\ndeployment/web created\nservice/web created\n"
		c.mustRun(t, want, "apply", "-f", f)
		if got := string(c.get(t, apimeta.KindSecret, "default", "pw").GetSecret().GetData()["password"]); got != "not-real" {
			t.Errorf("secret password %q", got)
		}
		if ip := c.get(t, apimeta.KindService, "default", "web").GetService().GetSpec().GetClusterIp(); ip == "" {
			t.Errorf("service has no cluster IP")
		}
		// The allocated cluster IP and the defaults are not changes.
		c.mustRun(t, strings.ReplaceAll(want, "created", "unchanged"), "apply", "-f", f)
	})

	t.Run("json", func(t *testing.T) {
		f := writeManifest(t, dir, "cm.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fromjson"}, "data": {"k": "v"}}`)
		c.mustRun(t, "configmap/fromjson created\n", "apply", "-f", f)
		if got := c.get(t, apimeta.KindConfigMap, "default", "fromjson").GetConfigMap().GetData()["k"]; got != "v" {
			t.Fatalf("data k = %q", got)
		}
	})

	t.Run("stdin", func(t *testing.T) {
		out, errOut, code := c.runIn(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromstdin\n", "apply", "-f", "-")
		if code != 0 || out != "configmap/fromstdin created\n" {
			t.Fatalf("apply -f -: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		_, errOut, code = c.runIn(t, "kind: [", "apply", "-f", "-")
		if code != 1 || !strings.Contains(errOut, "<stdin>:1") {
			t.Fatalf("bad stdin: exit %d, stderr %q; want the error to name <stdin> and the line", code, errOut)
		}
	})

	t.Run("directory", func(t *testing.T) {
		d := filepath.Join(dir, "tree")
		cm := func(name string) string { return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" }
		writeManifest(t, d, "a.yaml", cm("dir-a"))
		writeManifest(t, d, "b.json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dir-b"}}`)
		writeManifest(t, d, "notes.txt", "not a manifest")
		writeManifest(t, d, ".hidden.yaml", cm("dir-hidden"))
		writeManifest(t, d, "sub/c.yml", cm("dir-c"))
		c.mustRun(t, "configmap/dir-a created\nconfigmap/dir-b created\n", "apply", "-f", d)
		if c.get(t, apimeta.KindConfigMap, "default", "dir-c") != nil {
			t.Fatal("a subdirectory was read without -R")
		}
		c.mustRun(t, "configmap/dir-a unchanged\nconfigmap/dir-b unchanged\nconfigmap/dir-c created\n", "apply", "-f", d, "-R")
		if c.get(t, apimeta.KindConfigMap, "default", "dir-hidden") != nil {
			t.Fatal("a dot file was applied")
		}
	})

	t.Run("several -f", func(t *testing.T) {
		a := writeManifest(t, dir, "x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
		b := writeManifest(t, dir, "y.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n")
		c.mustRun(t, "configmap/x created\nconfigmap/y created\n", "apply", "-f", a, "-f", b)
		c.mustRun(t, "configmap/x unchanged\nconfigmap/y unchanged\n", "apply", "-f", a+","+b)
	})
}

// TestApplyRefusesBadInput: a file that does not parse applies nothing,
// not even its valid documents, and says where the problem is.
func TestApplyRefusesBadInput(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()
	cm := func(name string) string { return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" }
	noCM := func(t *testing.T, names ...string) {
		t.Helper()
		for _, n := range names {
			if c.get(t, apimeta.KindConfigMap, "default", n) != nil {
				t.Fatalf("configmap %s was applied from input that failed", n)
			}
		}
	}
	// oneError runs a failing command and checks it printed one error
	// line with every one of wants, and nothing on stdout.
	oneError := func(t *testing.T, args []string, wants ...string) string {
		t.Helper()
		out := c.mustFail(t, args, wants...)
		_, errOut, _ := c.run(t, args...)
		if out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "error: ") {
			t.Fatalf("gantryctl %v: stdout %q, stderr %q; want one error line and no output", args, out, errOut)
		}
		return errOut
	}

	t.Run("unknown field", func(t *testing.T) {
		f := writeManifest(t, dir, "unknown.yaml", cm("u1")+"---\n"+cm("u2")+"---\n"+
			webManifest("u3", 1, nil, "        bogus: true\n"))
		oneError(t, []string{"apply", "-f", f}, f+":", "document 3", "(Deployment u3)",
			"spec.template.spec.containers[0].bogus", "unknown field")
		noCM(t, "u1", "u2")
		if c.get(t, apimeta.KindDeployment, "default", "u3") != nil {
			t.Fatal("the deployment with the unknown field was applied")
		}
		// Another file given with it is not applied either.
		good := writeManifest(t, dir, "good.yaml", cm("u4"))
		c.mustFail(t, []string{"apply", "-f", good, "-f", f}, "unknown field")
		noCM(t, "u4")
	})

	t.Run("validate=false", func(t *testing.T) {
		f := writeManifest(t, dir, "lenient.yaml", webManifest("lenient", 1, nil, "        bogus: true\n"))
		out, errOut, code := c.run(t, "apply", "-f", f, "--validate=false")
		if code != 0 || out != "deployment/lenient created\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if !strings.HasPrefix(errOut, "warning: ") || !strings.Contains(errOut, "spec.template.spec.containers[0].bogus") || !strings.Contains(errOut, f) {
			t.Fatalf("stderr %q, want a warning naming the file and the field", errOut)
		}
	})

	t.Run("yaml syntax", func(t *testing.T) {
		f := writeManifest(t, dir, "syntax.yaml", cm("s1")+"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s2\ndata:\n  k: [v\n")
		oneError(t, []string{"apply", "-f", f}, f+":11: document 2", "invalid YAML")
		noCM(t, "s1", "s2")
	})

	t.Run("missing name", func(t *testing.T) {
		f := writeManifest(t, dir, "noname.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n")
		oneError(t, []string{"apply", "-f", f}, f+": document 1", "metadata.name: required")
	})

	t.Run("no -f, no objects, no file", func(t *testing.T) {
		oneError(t, []string{"apply"}, "-f is required")
		empty := writeManifest(t, dir, "empty.yaml", "# nothing\n---\n")
		oneError(t, []string{"apply", "-f", empty}, "no objects passed")
		oneError(t, []string{"apply", "-f", filepath.Join(dir, "absent.yaml")}, "absent.yaml", "no such file")
		oneError(t, []string{"apply", "-f", "x", "extra"}, "unknown command")
	})

	t.Run("unknown kind", func(t *testing.T) {
		f := writeManifest(t, dir, "kind.yaml", "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\n")
		oneError(t, []string{"apply", "-f", f}, f, "CronJob")
	})
}

func TestApplyNamespaces(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()
	ns := writeManifest(t, dir, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {team: a}\n")
	c.mustRun(t, "namespace/prod created\n", "apply", "-f", ns)
	c.mustRun(t, "namespace/prod unchanged\n", "apply", "-f", ns)
	// -n does not matter to a cluster-scoped kind.
	c.mustRun(t, "namespace/prod unchanged\n", "apply", "-f", ns, "-n", "other")
	writeManifest(t, dir, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {team: b}\n")
	c.mustRun(t, "namespace/prod configured\n", "apply", "-f", ns)
	if got := c.get(t, apimeta.KindNamespace, "", "prod").GetNamespace().GetMetadata().GetLabels()["team"]; got != "b" {
		t.Fatalf("namespace label team = %q", got)
	}

	inProd := writeManifest(t, dir, "inprod.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: prod\n")
	noNS := writeManifest(t, dir, "nons.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n")

	c.mustFail(t, []string{"apply", "-f", inProd, "-n", "default"}, inProd+": document 1", `namespace "prod" does not match --namespace "default"`)
	if c.get(t, apimeta.KindConfigMap, "default", "a") != nil || c.get(t, apimeta.KindConfigMap, "prod", "a") != nil {
		t.Fatal("applied despite the namespace mismatch")
	}
	c.mustRun(t, "configmap/a created\n", "apply", "-f", inProd)
	c.mustRun(t, "configmap/a unchanged\n", "apply", "-f", inProd, "-n", "prod")
	c.mustRun(t, "configmap/b created\n", "apply", "-f", noNS, "-n", "prod")
	if c.get(t, apimeta.KindConfigMap, "prod", "a") == nil || c.get(t, apimeta.KindConfigMap, "prod", "b") == nil {
		t.Fatal("configmaps not in prod")
	}
	if c.get(t, apimeta.KindConfigMap, "default", "b") != nil {
		t.Fatal("configmap b also in default")
	}

	// A namespace that does not exist: one error line, promptly.
	start := time.Now()
	c.mustFail(t, []string{"apply", "-f", noNS, "-n", "nowhere"}, "configmap/b: not found", `"nowhere"`)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("failing on a missing namespace took %s", d)
	}
}

// TestApplyServerRefusalIsPerObject: an object the server refuses fails
// alone; the others of the file are applied, and the exit code is 1.
func TestApplyServerRefusalIsPerObject(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()
	f := writeManifest(t, dir, "mixed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok1\n---\n"+
		webManifest("neg", -1, nil, "")+"  replicas: -1\n"+ // after the template, still under spec
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok2\n")
	out, errOut, code := c.run(t, "apply", "-f", f)
	if code != 1 || out != "configmap/ok1 created\nconfigmap/ok2 created\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "error: deployment/neg: invalid:") || !strings.Contains(errOut, "replicas") {
		t.Fatalf("stderr %q, want one line naming deployment/neg and the field", errOut)
	}
}

// decodeOne decodes a one-object manifest as apply reads it.
func decodeOne(t *testing.T, src string) manifest.Decoded {
	t.Helper()
	objs, _, err := manifest.Decode("test.yaml", []byte(src), manifest.DefaultOptions())
	if err != nil || len(objs) != 1 {
		t.Fatalf("decode: %v (%d objects)", err, len(objs))
	}
	return objs[0]
}

// TestApplyRetriesConflicts: a write landing between apply's read and its
// update makes the update fail with ABORTED; apply reads again, merges
// again and keeps the other writer's change. An object created between
// the read and the create is updated instead.
func TestApplyRetriesConflicts(t *testing.T) {
	c := newOpsCluster(t)
	ctx := context.Background()
	e := &env{servers: strings.Split(c.servers, ",")}
	defer e.close()

	t.Run("update conflict", func(t *testing.T) {
		c.create(t, opsDeployment("web", 1, "v1"))
		var writes int
		e.beforeApplyWrite = func() {
			writes++
			if writes == 1 {
				d := c.deployment(t, "web")
				d.Metadata.Labels = map[string]string{"touched": "yes"}
				if _, err := c.cl.Update(ctx, apimeta.Wrap(d)); err != nil {
					t.Error(err)
				}
			}
		}
		res, err := e.applyOne(ctx, decodeOne(t, webManifest("web", 5, nil, "")))
		if err != nil || res != "deployment/web configured" {
			t.Fatalf("applyOne = %q, %v", res, err)
		}
		if writes != 2 {
			t.Fatalf("%d write attempts, want 2 (one conflict, one retry)", writes)
		}
		d := c.deployment(t, "web")
		if *d.GetSpec().Replicas != 5 || d.GetMetadata().GetLabels()["touched"] != "yes" {
			t.Fatalf("stored replicas %d labels %v: want ours and the other writer's change", *d.GetSpec().Replicas, d.GetMetadata().GetLabels())
		}
	})

	t.Run("created meanwhile", func(t *testing.T) {
		var writes int
		e.beforeApplyWrite = func() {
			writes++
			if writes == 1 {
				c.create(t, &gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: "race", Namespace: "default", Labels: map[string]string{"by": "other"}}})
			}
		}
		res, err := e.applyOne(ctx, decodeOne(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: race\ndata: {k: v}\n"))
		if err != nil || res != "configmap/race configured" || writes != 2 {
			t.Fatalf("applyOne = %q, %v after %d writes; want configured after 2", res, err, writes)
		}
		cm := c.get(t, apimeta.KindConfigMap, "default", "race").GetConfigMap()
		if cm.GetData()["k"] != "v" || cm.GetMetadata().GetLabels()["by"] != "other" {
			t.Fatalf("stored %v", cm)
		}
	})

	t.Run("gives up", func(t *testing.T) {
		var writes int
		e.beforeApplyWrite = func() {
			writes++
			d := c.deployment(t, "web")
			d.Metadata.Labels = map[string]string{"n": strconv.Itoa(writes)}
			if _, err := c.cl.Update(ctx, apimeta.Wrap(d)); err != nil {
				t.Error(err)
			}
		}
		_, err := e.applyOne(ctx, decodeOne(t, webManifest("web", 7, nil, "")))
		if !statusIs(err, codes.Aborted) || writes != applyAttempts {
			t.Fatalf("err %v after %d writes, want ABORTED after %d", err, writes, applyAttempts)
		}
		if !strings.HasPrefix(describeErr(err), "deployment/web: conflict") {
			t.Fatalf("message %q", describeErr(err))
		}
	})

	t.Run("no retry for what would fail again", func(t *testing.T) {
		var writes int
		e.beforeApplyWrite = func() { writes++ }
		_, err := e.applyOne(ctx, decodeOne(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: nowhere\n"))
		if !statusIs(err, codes.NotFound) || writes != 1 {
			t.Fatalf("missing namespace: %v after %d writes, want NOT_FOUND after 1", err, writes)
		}
		writes = 0
		_, err = e.applyOne(ctx, decodeOne(t, webManifest("web", 1, nil, "")+"  minReadySeconds: -3\n"))
		if !statusIs(err, codes.InvalidArgument) || writes != 1 {
			t.Fatalf("invalid update: %v after %d writes, want INVALID_ARGUMENT after 1", err, writes)
		}
	})
}

// TestApplyWithConcurrentWriter: gantryctl apply while another client
// writes the object as fast as it can; apply ends configured, and both
// changes are in the object. Every failed attempt of apply needs a write
// of the other client in between, so a writer of applyAttempts-1 writes
// cannot make apply give up, however the two interleave.
func TestApplyWithConcurrentWriter(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()
	c.create(t, opsDeployment("web", 1, "v1"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for writes := 0; writes < applyAttempts-1 && ctx.Err() == nil; {
			d, err := c.cl.Get(ctx, apimeta.KindDeployment, "default", "web")
			if err != nil {
				continue
			}
			dep := d.GetDeployment()
			if dep.Metadata.Annotations == nil {
				dep.Metadata.Annotations = map[string]string{}
			}
			dep.Metadata.Annotations["writer"] = strconv.Itoa(writes)
			if _, err := c.cl.Update(ctx, d); err == nil {
				writes++
			}
		}
	}()
	f := writeManifest(t, dir, "web.yaml", webManifest("web", 6, map[string]string{"app": "web"}, ""))
	out, errOut, code := c.run(t, "apply", "-f", f)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the other writer did not finish its writes")
	}
	if code != 0 || out != "deployment/web configured\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	d := c.deployment(t, "web")
	if *d.GetSpec().Replicas != 6 || d.GetMetadata().GetAnnotations()["writer"] == "" {
		t.Fatalf("stored replicas %d annotations %v", *d.GetSpec().Replicas, d.GetMetadata().GetAnnotations())
	}
}

// TestApplyOverServerChanges: what the server adds or requires does not
// make a re-apply fail or report a change: a pod's default tolerations
// (which an update may not remove), a switch of a Deployment's strategy
// (the defaulted rollingUpdate must go), a manifest saved with get -o yaml.
func TestApplyOverServerChanges(t *testing.T) {
	c := newOpsCluster(t)
	dir := t.TempDir()

	t.Run("pod tolerations", func(t *testing.T) {
		pod := func(image string) string {
			return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  tolerations:\n  - {key: dedicated, operator: Exists}\n" +
				"  containers:\n  - name: c\n    image: " + image + "\n"
		}
		f := writeManifest(t, dir, "pod.yaml", pod("v1"))
		c.mustRun(t, "pod/p created\n", "apply", "-f", f)
		if n := len(c.get(t, apimeta.KindPod, "default", "p").GetPod().GetSpec().GetTolerations()); n < 2 {
			t.Fatalf("%d tolerations: the server added no defaults, the test tests nothing", n)
		}
		c.mustRun(t, "pod/p unchanged\n", "apply", "-f", f)
		writeManifest(t, dir, "pod.yaml", pod("v2"))
		c.mustRun(t, "pod/p configured\n", "apply", "-f", f)
		p := c.get(t, apimeta.KindPod, "default", "p").GetPod()
		if p.GetSpec().GetContainers()[0].GetImage() != "v2" || len(p.GetSpec().GetTolerations()) < 2 {
			t.Fatalf("pod after the image change: %v", p.GetSpec())
		}
	})

	t.Run("deployment strategy", func(t *testing.T) {
		f := writeManifest(t, dir, "dep.yaml", webManifest("web", 1, nil, ""))
		c.mustRun(t, "deployment/web created\n", "apply", "-f", f)
		writeManifest(t, dir, "dep.yaml", webManifest("web", 1, nil, "")+"  strategy:\n    type: Recreate\n")
		c.mustRun(t, "deployment/web configured\n", "apply", "-f", f)
		st := c.deployment(t, "web").GetSpec().GetStrategy()
		if st.GetType() != "Recreate" || st.GetRollingUpdate() != nil {
			t.Fatalf("strategy %v, want Recreate alone", st)
		}
		c.mustRun(t, "deployment/web unchanged\n", "apply", "-f", f)
		writeManifest(t, dir, "dep.yaml", webManifest("web", 1, nil, "")+"  strategy:\n    type: RollingUpdate\n")
		c.mustRun(t, "deployment/web configured\n", "apply", "-f", f)
		if st := c.deployment(t, "web").GetSpec().GetStrategy(); st.GetType() != "RollingUpdate" || st.GetRollingUpdate().GetMaxSurge() == "" {
			t.Fatalf("strategy %v, want RollingUpdate with the defaults back", st)
		}
		c.mustRun(t, "deployment/web unchanged\n", "apply", "-f", f)
	})

	t.Run("get -o yaml", func(t *testing.T) {
		saved := c.getOut(t, "deploy", "web", "-o", "yaml")
		out, errOut, code := c.runIn(t, saved, "apply", "-f", "-")
		if code != 0 || out != "deployment/web configured\n" {
			t.Fatalf("apply of get -o yaml: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		// The saved manifest names a version that is gone now: no retries,
		// and the message says what to do.
		start := time.Now()
		out, errOut, code = c.runIn(t, saved, "apply", "-f", "-")
		if code != 1 || out != "" || !strings.Contains(errOut, "deployment/web: the manifest's metadata.resourceVersion") ||
			!strings.Contains(errOut, "remove it") || strings.Count(errOut, "\n") != 1 {
			t.Fatalf("stale apply: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("the stale apply took %s", d)
		}
	})
}
