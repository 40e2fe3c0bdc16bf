package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/gantryio/gantry/internal/apimeta"
)

const webYAML = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
        securityContext:
          runAsUser: 1000
`

func TestUnknownFieldStrict(t *testing.T) {
	e := decodeErr(t, "web.yaml", webYAML, DefaultOptions())
	want := "web.yaml:16: document 2 (Deployment web): spec.template.spec.containers[0].securityContext: unknown field"
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
	if !errors.Is(e, ErrUnknownField) {
		t.Errorf("errors.Is(ErrUnknownField) is false")
	}
	if e.Source != "web.yaml" || e.Doc != 2 || e.Line != 16 || e.Path != "spec.template.spec.containers[0].securityContext" {
		t.Errorf("got %+v", e)
	}
}

func TestUnknownFieldLenient(t *testing.T) {
	got, warnings, err := Decode("web.yaml", []byte(webYAML), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(warnings) != 1 {
		t.Fatalf("got %d objects and warnings %v, want 2 objects and 1 warning", len(got), warnings)
	}
	w := warnings[0]
	want := "web.yaml:16: document 2 (Deployment web): spec.template.spec.containers[0].securityContext: unknown field, ignored"
	if w.String() != want {
		t.Errorf("got  %q\nwant %q", w.String(), want)
	}
	c := got[1].Object.GetDeployment().GetSpec().GetTemplate().GetSpec().GetContainers()[0]
	if c.GetImage() != "nginx" {
		t.Errorf("the rest of the container was lost: %v", c)
	}
}

func TestUnknownFieldPaths(t *testing.T) {
	tests := []struct {
		name, yaml, path string
		line             int
	}{
		{"top level", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nfoo: 1\n", "foo", 4},
		{"metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  managedFields: []\n", "metadata.managedFields", 5},
		{"list of scalars elements are not fields", podHead + "  containers:\n  - name: c\n    volumeMounts: [{name: v}]\n", "spec.containers[0].volumeMounts", 8},
		{"odd key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nspec:\n  x.y: 1\n", "spec", 4},
		{"quoted odd key", podHead + "  \"a b\": 1\n", `spec["a b"]`, 6},
		{"spec on a kind without one", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nspec: {}\n", "spec", 4},
		{"status on a kind without one", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nstatus: {}\n", "status", 4},
		{"proto name is not a Kubernetes name", podHead + "  restart_policy: Never\n", "spec.restart_policy", 6},
		{"list item", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n  bogus: 1\n", "items[0].bogus", 7},
		{"json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"c\",\n  \"bogus\": 1}}", "metadata.bogus", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, "f.yaml", tt.yaml, DefaultOptions())
			if !errors.Is(e, ErrUnknownField) || e.Path != tt.path || e.Line != tt.line {
				t.Errorf("got %v (path %q, line %d), want unknown field %q at line %d", e, e.Path, e.Line, tt.path, tt.line)
			}
		})
	}
}

func TestSyntaxErrorLines(t *testing.T) {
	good := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\n"
	tests := []struct {
		name, yaml string
		doc, line  int
		msg        string
	}{
		{"mapping value in document 2", fmt_(good, 1) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: name: x\n", 2, 8, "mapping values are not allowed"},
		{"bad indentation in document 3", fmt_(good, 1) + "---\n" + fmt_(good, 2) + "---\n# third\napiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: x\n  labels: {}\n", 3, 16, "did not find expected key"},
		{"tab in document 2 after empty documents", fmt_(good, 1) + "---\n---\n# nothing\n---\napiVersion: v1\n\tkind: ConfigMap\n", 2, 10, "tab"},
		{"unclosed flow on the first line of a document", fmt_(good, 1) + "---\n[a, b\n", 2, 6, "did not find expected ',' or ']'"},
		{"first line of the file", "a: b: c\n", 1, 1, "mapping values are not allowed"},
		{"unknown anchor", fmt_(good, 1) + "---\napiVersion: v1\nkind: *nope\n", 2, 7, "unknown anchor"},
		{"bad JSON", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\"\n  \"metadata\": {}\n}\n", 1, 4, "invalid JSON"},
		{"truncated JSON", "{\n  \"apiVersion\": \"v1\",\n", 1, 3, "unexpected end"},
		{"second JSON value", "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}\n{\"apiVersion\":\n}\n", 2, 3, "invalid JSON"},
		{"invalid UTF-8", fmt_(good, 1) + "---\nkind: \xff\n", 0, 6, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, "bad.yaml", tt.yaml, DefaultOptions())
			if !errors.Is(e, ErrSyntax) {
				t.Errorf("%v: not ErrSyntax", e)
			}
			if e.Line != tt.line || (tt.doc > 0 && e.Doc != tt.doc) || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("got %q (doc %d line %d), want document %d line %d containing %q", e, e.Doc, e.Line, tt.doc, tt.line, tt.msg)
			}
			if !strings.HasPrefix(e.Error(), "bad.yaml:") || strings.Contains(e.Error(), "\n") {
				t.Errorf("%q does not name the file on one line", e)
			}
		})
	}
}

func fmt_(format string, i int) string { return strings.Replace(format, "%d", string(rune('0'+i)), 1) }

func TestKindAndAPIVersionErrors(t *testing.T) {
	known := strings.Join(apimeta.Kinds(), ", ")
	tests := []struct {
		name, yaml, want string
	}{
		{"wrong apiVersion", "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: web}\n",
			`f.yaml:1: document 1 (Deployment web): apiVersion: Deployment is apps/v1, not "extensions/v1beta1"`},
		{"core kind in a group", "apiVersion: apps/v1\nkind: Service\nmetadata: {name: s}\n",
			`f.yaml:1: document 1 (Service s): apiVersion: Service is v1, not "apps/v1"`},
		{"missing apiVersion", "kind: Pod\nmetadata: {name: p}\n",
			`f.yaml:1: document 1 (Pod p): missing apiVersion (Pod is v1)`},
		{"missing kind", "apiVersion: v1\nmetadata: {name: p}\n",
			"f.yaml:1: document 1: missing kind; Gantry knows " + known},
		{"unknown kind", "apiVersion: batch/v1\nkind: CronJob\n",
			`f.yaml:2: document 1: kind: unknown kind "CronJob"; Gantry knows ` + known},
		{"kind in the wrong case", "apiVersion: v1\nkind: pod\n",
			`f.yaml:2: document 1: kind: unknown kind "pod"; did you mean Pod?`},
		{"kind not a string", "apiVersion: v1\nkind: [Pod]\n",
			`f.yaml:2: document 1: kind: expected a string, got a list`},
		{"document not an object", "- a\n- b\n",
			`f.yaml:1: document 1: the document is a list, not an object with apiVersion and kind`},
		{"scalar document", "hello\n",
			`f.yaml:1: document 1: the document is a string ("hello"), not an object with apiVersion and kind`},
		{"List with wrong apiVersion", "apiVersion: apps/v1\nkind: List\nitems: []\n",
			`f.yaml:1: document 1 (List): apiVersion: List is v1, not "apps/v1"`},
		{"List item without kind", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  metadata: {name: x}\n",
			"f.yaml:4: document 1: items[0]: missing kind; Gantry knows " + known},
		{"nested List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n",
			`f.yaml:4: document 1 (List): items[0]: a List inside a List is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, "f.yaml", tt.yaml, DefaultOptions())
			if e.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", e.Error(), tt.want)
			}
		})
	}
}

func TestValueErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"invalid quantity names the path", container("resources:\n  limits:\n    memory: 64MB"),
			`f.yaml:11: document 1 (Pod p): spec.containers[0].resources.limits.memory: invalid quantity "64MB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`},
		{"quantity of the wrong type", container("resources:\n  limits:\n    cpu: true"),
			`f.yaml:11: document 1 (Pod p): spec.containers[0].resources.limits.cpu: expected a quantity such as 500m or 64Mi, got a boolean (true)`},
		{"string for an integer", container("ports:\n- containerPort: http"),
			`f.yaml:10: document 1 (Pod p): spec.containers[0].ports[0].containerPort: expected an integer, got a string ("http")`},
		{"fraction for an integer", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 1.5\n",
			`f.yaml:5: document 1 (Deployment d): spec.replicas: expected an integer, got a number (1.5)`},
		{"int32 out of range", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 3000000000\n",
			`f.yaml:5: document 1 (Deployment d): spec.replicas: 3000000000 is out of range for a 32-bit integer`},
		{"number for a string", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    version: 1.0\n",
			`f.yaml:6: document 1 (ConfigMap c): metadata.labels.version: expected a string, got a number (1.0); quote it to make it a string`},
		{"object for a string", container("workingDir: {name: x}"),
			`f.yaml:9: document 1 (Pod p): spec.containers[0].workingDir: expected a string, got an object`},
		{"scalar for a list", container("command: sleep"),
			`f.yaml:9: document 1 (Pod p): spec.containers[0].command: expected a list, got a string ("sleep")`},
		{"null in a list", container("args: [a, null]"),
			`f.yaml:9: document 1 (Pod p): spec.containers[0].args[1]: null is not allowed in a list`},
		{"scalar for an object", podHead + "  containers:\n  - just-a-name\n",
			`f.yaml:7: document 1 (Pod p): spec.containers[0]: expected an object, got a string ("just-a-name")`},
		{"targetPort fraction", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: 80\n    targetPort: 80.5\n",
			`f.yaml:7: document 1 (Service s): spec.ports[0].targetPort: expected a 32-bit integer or a string such as "25%" or a port name, got a number (80.5)`},
		{"maxSurge boolean", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  strategy:\n    rollingUpdate:\n      maxSurge: true\n",
			`f.yaml:7: document 1 (Deployment d): spec.strategy.rollingUpdate.maxSurge: expected an integer or a string such as "25%" or a port name, got a boolean (true)`},
		{"secret data not base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: hunter2!\n",
			`f.yaml:5: document 1 (Secret s): data.password: not valid base64; Secret data is base64, plain text goes under stringData`},
		{"bad timestamp", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  creationTimestamp: yesterday\n",
			`f.yaml:5: document 1 (ConfigMap c): metadata.creationTimestamp: expected an RFC 3339 time such as "2006-01-02T15:04:05Z", got a string ("yesterday")`},
		{"quoted bool", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  paused: \"true\"\n",
			`f.yaml:5: document 1 (Deployment d): spec.paused: expected true or false, got a string ("true")`},
		{"mapping key not a scalar", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  ? [a]\n  : b\n",
			`f.yaml:5: document 1: a mapping key must be a string, not a list or a mapping`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, "f.yaml", tt.yaml, DefaultOptions())
			if e.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", e.Error(), tt.want)
			}
		})
	}
}

func TestDuplicateFields(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: one\n  a: two\n"
	e := decodeErr(t, "f.yaml", src, DefaultOptions())
	if want := "f.yaml:7: document 1 (ConfigMap c): data.a: duplicate field"; e.Error() != want {
		t.Errorf("got  %q\nwant %q", e, want)
	}
	got, warnings, err := Decode("f.yaml", []byte(src), Options{})
	if err != nil || len(warnings) != 1 {
		t.Fatalf("lenient: %v %v", err, warnings)
	}
	if v := got[0].Object.GetConfigMap().GetData()["a"]; v != "two" {
		t.Errorf("lenient: got %q, want the last value", v)
	}
	// JSON parsers keep the last duplicate silently; this one says so.
	e = decodeErr(t, "f.json", `{"apiVersion": "v1", "kind": "Pod", "kind": "Pod"}`, DefaultOptions())
	if !errors.Is(e, ErrDuplicateField) || e.Path != "kind" {
		t.Errorf("got %v", e)
	}
}

func TestStatus(t *testing.T) {
	src := podHead + "  containers: [{name: c, image: i}]\nstatus:\n  phase: Running\n  qosClass: BestEffort\n"
	o := decodeOne(t, src)
	if o.GetPod().GetStatus() != nil {
		t.Errorf("status was kept: %v", o.GetPod().GetStatus())
	}
	opts := DefaultOptions()
	opts.KeepStatus = true
	e := decodeErr(t, "f.yaml", src, opts)
	if e.Path != "status.qosClass" || !errors.Is(e, ErrUnknownField) {
		t.Errorf("with KeepStatus: got %v, want status.qosClass unknown", e)
	}
	o = decodeWith(t, "f.yaml", podHead+"  containers: [{name: c, image: i}]\nstatus:\n  phase: Running\n  podIP: 10.0.0.5\n", opts)[0].Object
	if o.GetPod().GetStatus().GetPodIp() != "10.0.0.5" {
		t.Errorf("with KeepStatus: status %v", o.GetPod().GetStatus())
	}
}

func TestAllOrNothing(t *testing.T) {
	src := "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\nkind: Nope\n"
	got, warnings, err := Decode("f.yaml", []byte(src), Options{})
	if err == nil || got != nil || warnings != nil {
		t.Fatalf("got %v, %v, %v; want only an error", got, warnings, err)
	}
	if !strings.Contains(err.Error(), "document 3") {
		t.Errorf("error %q does not name document 3", err)
	}
}

func TestProblemWrapsCause(t *testing.T) {
	e := decodeErr(t, "f.yaml", container("resources:\n  limits:\n    memory: x"), DefaultOptions())
	if !errors.Is(e, ErrInvalid) {
		t.Errorf("not ErrInvalid: %v", e)
	}
	var cause error = e
	for errors.Unwrap(cause) != nil {
		cause = errors.Unwrap(cause)
	}
	if !strings.Contains(e.Error(), "quantities must match") {
		t.Errorf("the cause is not in %q", e)
	}
}
