package manifest

import (
	"testing"
)

func TestMultiDocument(t *testing.T) {
	src := `# leading comment only
---
apiVersion: v1
kind: Namespace
metadata:
  name: a
---
---
# a document of comments

---
apiVersion: v1
kind: Namespace
metadata: {name: b}
--- # a comment on the separator
~
---
null
--- {apiVersion: v1, kind: Namespace, metadata: {name: c}}
---
`
	got := decodeAll(t, "ns.yaml", src)
	want := []struct {
		name      string
		doc, line int
	}{{"a", 1, 3}, {"b", 2, 12}, {"c", 3, 19}}
	if len(got) != len(want) {
		t.Fatalf("got %d objects, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if n := g.Object.GetNamespace().GetMetadata().GetName(); n != w.name || g.Doc != w.doc || g.Line != w.line || g.Source != "ns.yaml" {
			t.Errorf("object %d: got %s doc %d line %d from %s, want %s doc %d line %d", i, n, g.Doc, g.Line, g.Source, w.name, w.doc, w.line)
		}
	}
}

func TestDirectives(t *testing.T) {
	got := decodeAll(t, "d.yaml", "%YAML 1.1\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"+namespace("b"))
	if len(got) != 2 || got[0].Line != 3 || got[1].Doc != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestEmptyInputs(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# nothing\n", "---\n---\n", "---", "null\n", "~", "  \n---  \n#x\n--- # y\n", "\ufeff"} {
		got := decodeAll(t, "e.yaml", src)
		if len(got) != 0 {
			t.Errorf("%q: got %d objects, want none", src, len(got))
		}
	}
}

func TestJSON(t *testing.T) {
	t.Run("single object", func(t *testing.T) {
		o := decodeOne(t, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}`)
		if o.GetConfigMap().GetData()["k"] != "v" {
			t.Errorf("got %v", o)
		}
	})
	t.Run("stream of objects", func(t *testing.T) {
		got := decodeAll(t, "s.json", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}\n\n{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\"}}\n")
		if len(got) != 2 || got[1].Doc != 2 || got[1].Line != 3 {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("List", func(t *testing.T) {
		src := `{
  "apiVersion": "v1",
  "kind": "List",
  "metadata": {"resourceVersion": ""},
  "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 2}}
  ]
}`
		got := decodeAll(t, "l.json", src)
		if len(got) != 2 || got[1].Object.GetDeployment().GetSpec().GetReplicas() != 2 || got[1].Line != 7 || got[1].Doc != 1 {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("JSON followed by YAML is YAML", func(t *testing.T) {
		got := decodeAll(t, "m.yaml", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
		if len(got) != 2 {
			t.Fatalf("got %d objects", len(got))
		}
	})
	t.Run("null value skipped", func(t *testing.T) {
		if got := decodeAll(t, "n.json", "null"); len(got) != 0 {
			t.Fatalf("got %d objects", len(got))
		}
	})
}

func TestLists(t *testing.T) {
	t.Run("YAML List", func(t *testing.T) {
		src := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"
		got := decodeAll(t, "l.yaml", src)
		if len(got) != 2 || got[0].Line != 4 || got[1].Line != 7 || got[1].Object.GetConfigMap() == nil {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("typed List implies its items' kind", func(t *testing.T) {
		src := "apiVersion: apps/v1\nkind: DeploymentList\nmetadata: {resourceVersion: \"7\"}\nitems:\n- metadata: {name: a}\n  spec: {replicas: 1}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b}\n"
		got := decodeAll(t, "l.yaml", src)
		if len(got) != 2 || got[0].Object.GetDeployment().GetMetadata().GetName() != "a" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("items that say their kind keep it", func(t *testing.T) {
		// As with kubectl, a List's items are objects of their own.
		got := decodeAll(t, "l.yaml", "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n")
		if len(got) != 1 || got[0].Object.GetPod() == nil {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("empty List", func(t *testing.T) {
		if got := decodeAll(t, "l.yaml", "apiVersion: v1\nkind: List\nitems: []\n"); len(got) != 0 {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("unknown List field", func(t *testing.T) {
		e := decodeErr(t, "l.yaml", "apiVersion: v1\nkind: List\nitems: []\nextra: 1\n", DefaultOptions())
		if e.Error() != "l.yaml:4: document 1 (List): extra: unknown field" {
			t.Errorf("got %q", e)
		}
	})
}
