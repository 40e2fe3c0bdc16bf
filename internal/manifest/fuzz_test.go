package manifest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// FuzzDecode checks that no input makes Decode panic or take long, and that
// whatever it decodes survives Encode and Decode again unchanged.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		webYAML,
		billionLaughs(),
		container("resources:\n  requests:\n    cpu: 0.5\n    memory: 1e3\n  limits: {cpu: \"1\"}"),
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n",
		"apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: a}\n  spec: {strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}}}\n",
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80,"targetPort":"http"}]}}`,
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: YQ==}\nstringData: {b: c}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: &m {name: p, labels: {a: b}}\nspec:\n  containers:\n  - &c {name: a, image: i}\n  - <<: *c\n    name: b\n",
		"a: &a [*a]\n",
		"a: b: c\n---\n- x\n",
		"--- |\n  text\n...\n---\n",
		"\ufeff{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"kind\": \"Pod\"}",
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
		strings.Repeat("{\"a\":", 100) + "1" + strings.Repeat("}", 100),
		"apiVersion: v1\nkind: Event\nmetadata: {name: e, creationTimestamp: 2024-01-01T00:00:00Z}\ncount: 1e3\nsource: {component: x}\n",
		"apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\nspec: {renewTime: \"2024-01-01T00:00:00.000000001Z\", leaseDurationSeconds: 0x10}\n",
		"apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {capacity: {cpu: 4, pods: 110}}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {yes: no, 1: 2}}\ndata: {\"\": ~}\nimmutable: yes\n",
		"%YAML 1.2\n---\na: !!int \"x\"\n",
		"\t{\"a\": 1}",
		"\x00",
	} {
		f.Add([]byte(s))
	}
	keep := DefaultOptions()
	keep.KeepStatus = true
	lenient := Options{KeepStatus: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{keep, lenient} {
			start := time.Now()
			got, _, err := Decode("fuzz.yaml", data, opts)
			// Only while fuzzing: a slow input is a finding there, while a
			// plain test run must not depend on the machine's speed.
			if elapsed := time.Since(start); fuzzing() && elapsed > 10*time.Second {
				t.Fatalf("Decode took %v on %d bytes", elapsed, len(data))
			}
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error on more than one line: %q", err)
				}
				continue
			}
			for _, d := range got {
				for _, format := range []string{FormatYAML, FormatJSON} {
					b, err := Encode(d.Object, format)
					if err != nil {
						t.Fatalf("Encode(%v): %v", d.Object, err)
					}
					again, _, err := Decode("again."+format, b, keep)
					if err != nil {
						t.Fatalf("Decode(Encode(%v)) failed: %v\n%s", d.Object, err, b)
					}
					if len(again) != 1 || !proto.Equal(again[0].Object, d.Object) {
						t.Fatalf("round trip changed the object\nencoded:\n%s", b)
					}
				}
			}
		}
	})
}

// fuzzing reports whether the test binary runs with -test.fuzz.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
