package manifest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// billionLaughs nests nine aliases nine deep: 9^9 strings if expanded.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nx:\n")
	b.WriteString("  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, c := range "bcdefghi" {
		name := string(c)
		b.WriteString("  " + name + ": &" + name + " [")
		for i := 0; i < 9; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	return b.String()
}

func TestAliasBombRefused(t *testing.T) {
	for _, strict := range []bool{true, false} {
		start := time.Now()
		e := decodeErr(t, "lol.yaml", billionLaughs(), Options{Strict: strict})
		logElapsed(t, start, "refused")
		if !errors.Is(e, ErrLimit) || !strings.Contains(e.Error(), "aliases expand the document beyond 1 MiB (the limit)") {
			t.Errorf("got %v", e)
		}
	}
}

func TestAliasCycleRefused(t *testing.T) {
	e := decodeErr(t, "c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: c, labels: *m}\n", DefaultOptions())
	if !strings.Contains(e.Error(), "c.yaml:3: document 1: alias *m refers to a value that contains it") {
		t.Errorf("got %v", e)
	}
}

func TestSmallAliasesAllowed(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: &l {a: b}, annotations: *l}\n"
	o := decodeOne(t, src)
	if o.GetConfigMap().GetMetadata().GetAnnotations()["a"] != "b" {
		t.Errorf("got %v", o)
	}
}

func TestSizeLimits(t *testing.T) {
	ns := "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n"
	tests := []struct {
		name string
		src  string
		opts Options
		want string
	}{
		{"input", strings.Repeat(ns, 10), Options{MaxBytes: 100},
			"big.yaml: the input is 550 bytes, over the limit of 100 bytes"},
		{"default input limit", strings.Repeat("#", DefaultMaxBytes+1), Options{},
			"big.yaml: the input is 16 MiB, over the limit of 16 MiB"},
		{"YAML document", ns + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: " + strings.Repeat("x", 2000) + "}\n", Options{MaxDocumentBytes: 1024},
			"big.yaml:5: document 2: the document is 2 KiB, over the limit of 1 KiB per document"},
		{"JSON document", `{"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "` + strings.Repeat("x", 2000) + `"}}`, Options{MaxDocumentBytes: 1024},
			"big.yaml:1: document 1: the JSON value is over the limit of 1 KiB per document"},
		{"object", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: " + strings.Repeat("x", 2000) + "\n", Options{MaxObjectBytes: 1024},
			"big.yaml:1: document 1 (ConfigMap c): the object is 2 KiB encoded, over the limit of 1 KiB per object"},
		{"documents", strings.Repeat(ns, 4), Options{MaxDocuments: 3},
			"big.yaml:13: more than 3 documents (the limit)"},
		{"List items count as documents", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n", Options{MaxDocuments: 2},
			"big.yaml:5: more than 2 documents (the limit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, "big.yaml", tt.src, tt.opts)
			if !errors.Is(e, ErrLimit) || e.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", e, tt.want)
			}
		})
	}
}

func TestDeepNestingRefused(t *testing.T) {
	head := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: "
	var block strings.Builder
	block.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nx:\n")
	for i := 1; i < 200; i++ {
		block.WriteString(strings.Repeat(" ", i) + "x:\n")
	}
	tests := []struct {
		name, src string
	}{
		{"YAML flow", head + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"},
		{"YAML block", block.String()},
		{"JSON", `{"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": ` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + "}}"},
		{"JSON unclosed", strings.Repeat("[", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			e := decodeErr(t, "deep.yaml", tt.src, Options{MaxDocumentBytes: 4 << 20})
			if !errors.Is(e, ErrLimit) || !strings.Contains(e.Error(), "values nest deeper than 64 levels (the limit)") {
				t.Errorf("got %v", e)
			}
			logElapsed(t, start, "refused")
		})
	}
}

func TestManyEmptyDocumentsAreCheap(t *testing.T) {
	start := time.Now()
	got := decodeAll(t, "e.yaml", strings.Repeat("---\n# c\n", 1<<20))
	if len(got) != 0 {
		t.Fatalf("got %d objects", len(got))
	}
	logElapsed(t, start, "decoded")
}

// TestQuantityBombRefused: resource.ParseQuantity computes 10^999999999 for
// this one, which takes hours.
func TestQuantityBombRefused(t *testing.T) {
	for _, q := range []string{"1e-999999999", "\"1E-999999999\"", "\"" + strings.Repeat("1", 100) + "\""} {
		start := time.Now()
		e := decodeErr(t, "q.yaml", container("resources:\n  limits:\n    cpu: "+q), DefaultOptions())
		if !errors.Is(e, ErrInvalid) || !strings.Contains(e.Error(), "quantities are at most 64 characters with an exponent of at most 100") {
			t.Errorf("%s: got %v", q, e)
		}
		logElapsed(t, start, "%s: refused", q)
	}
	// Exponents Kubernetes users write still work.
	o := decodeOne(t, container("resources:\n  limits:\n    cpu: 1e-3\n    memory: 1E9\n    ephemeral-storage: 2E"))
	if l := firstContainer(o).GetResources().GetLimits(); l["cpu"] != "1e-3" || l["memory"] != "1E9" || l["ephemeral-storage"] != "2E" {
		t.Errorf("got %v", l)
	}
}

// logElapsed reports how long a refusal took. It asserts nothing: timing
// depends on the machine, so speed is measured by the benchmarks, and an
// input that really hangs (a bomb that expands for hours) is caught by the
// test binary's -timeout.
func logElapsed(t *testing.T, start time.Time, format string, args ...any) {
	t.Helper()
	t.Logf(format+" (%v)", append(args, time.Since(start))...)
}
