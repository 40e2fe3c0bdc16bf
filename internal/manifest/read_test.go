package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func namespace(name string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n"
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(ds []Decoded) string {
	var out []string
	for _, d := range ds {
		out = append(out, apimetaName(d))
	}
	return strings.Join(out, ",")
}

func apimetaName(d Decoded) string {
	return d.Object.GetNamespace().GetMetadata().GetName()
}

func TestReadPathsDirectory(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"b.yml":          namespace("b"),
		"a.yaml":         namespace("a1") + "---\n" + namespace("a2"),
		"c.json":         `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}`,
		"d.txt":          "not a manifest",
		"README.md":      "# not a manifest",
		".hidden.yaml":   namespace("hidden"),
		"sub/e.yaml":     namespace("e"),
		"sub/deep/f.yml": namespace("f"),
		".git/g.yaml":    "garbage: [",
		".github/w.yml":  "on: push\n",
	})
	if err := os.Symlink(filepath.Join(dir, "sub", "e.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}

	got, _, err := ReadPaths([]string{dir}, nil, false, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if n := names(got); n != "a1,a2,b,c,e" {
		t.Errorf("non-recursive: got %s, want a1,a2,b,c,e (e through link.yaml)", n)
	}
	if got[1].Source != filepath.Join(dir, "a.yaml") || got[1].Doc != 2 || got[3].Source != filepath.Join(dir, "c.json") {
		t.Errorf("sources: %+v", got)
	}

	got, _, err = ReadPaths([]string{dir}, nil, true, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if n := names(got); n != "a1,a2,b,c,e,f,e" {
		t.Errorf("recursive: got %s, want a1,a2,b,c,e,f,e", n)
	}
}

func TestReadPathsFilesAndStdin(t *testing.T) {
	dir := writeFiles(t, map[string]string{"one.manifest": namespace("one"), "bad.yaml": namespace("ok") + "---\nkind: Nope\n"})
	stdin := strings.NewReader(namespace("in"))
	got, _, err := ReadPaths([]string{filepath.Join(dir, "one.manifest"), "-"}, stdin, false, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if names(got) != "one,in" || got[1].Source != StdinSource {
		t.Errorf("got %+v", got)
	}

	tests := []struct {
		name  string
		paths []string
		stdin bool
		want  string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, false, "nope.yaml: no such file or directory"},
		{"stdin twice", []string{"-", "-"}, true, `"-" (stdin) is given more than once`},
		{"no stdin", []string{"-"}, false, `"-" (stdin) is given but there is no standard input`},
		{"bad file after a good one", []string{filepath.Join(dir, "one.manifest"), filepath.Join(dir, "bad.yaml")}, false,
			filepath.Join(dir, "bad.yaml") + `:6: document 2: kind: unknown kind "Nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in *strings.Reader
			if tt.stdin {
				in = strings.NewReader(namespace("in"))
			}
			var got []Decoded
			var err error
			if in != nil {
				got, _, err = ReadPaths(tt.paths, in, false, DefaultOptions())
			} else {
				got, _, err = ReadPaths(tt.paths, nil, false, DefaultOptions())
			}
			if err == nil || got != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, %v; want an error containing %q", got, err, tt.want)
			}
		})
	}
}

func TestReadPathsTotalLimit(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": namespace("a"), "b.yaml": namespace("b")})
	opts := DefaultOptions()
	opts.MaxBytes = int64(len(namespace("a"))) + 10
	_, _, err := ReadPaths([]string{dir}, nil, false, opts)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrLimit) || e.Source != filepath.Join(dir, "b.yaml") ||
		!strings.Contains(err.Error(), "over the limit of "+byteSize(opts.MaxBytes)+" for everything read at once") {
		t.Errorf("got %v", err)
	}
}

func TestReadPathsWarnings(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": namespace("a") + "  extra: 1\n"})
	got, warnings, err := ReadPaths([]string{dir}, nil, false, Options{})
	if err != nil || len(got) != 1 || len(warnings) != 1 || warnings[0].Source != filepath.Join(dir, "a.yaml") || warnings[0].Path != "metadata.extra" {
		t.Errorf("got %v %v %v", got, warnings, err)
	}
}
