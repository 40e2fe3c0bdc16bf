package store

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"testing"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// listFixture holds config maps in namespaces a, ab and b (ab checks that
// namespace "a" does not leak into "ab"), created in a scrambled order,
// plus nodes. Config map i has label n=i.
func listFixture(t *testing.T) (*harness, map[string][]string) {
	h := newHarness(t)
	h.mustApply(createOp(nsObj("a")), createOp(nsObj("ab")), createOp(nsObj("b")),
		createOp(nodeObj("n2")), createOp(nodeObj("n1")))
	keys := map[string][]string{}
	var ops []*storagev1.Op
	for i := 0; i < 30; i++ {
		ns := []string{"b", "a", "ab"}[i%3]
		name := fmt.Sprintf("cm-%02d", (i*7)%30)
		o := editMeta(cmObj(ns, name, nil), func(m *gantryv1.ObjectMeta) {
			m.Labels = map[string]string{"n": strconv.Itoa((i * 7) % 30)}
		})
		ops = append(ops, createOp(o))
		keys[ns] = append(keys[ns], ns+"/"+name)
		keys[""] = append(keys[""], ns+"/"+name)
	}
	h.mustApply(ops...)
	for _, k := range keys {
		sort.Strings(k)
	}
	return h, keys
}

func keysOf(items []*gantryv1.Object) []string {
	out := make([]string, len(items))
	for i, o := range items {
		m := apimeta.Meta(o)
		out[i] = apimeta.Key(m.GetNamespace(), m.GetName())
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestListScopeAndOrder(t *testing.T) {
	h, keys := listFixture(t)
	for _, ns := range []string{"", "a", "ab", "b"} {
		res, err := h.s.List(kCM, ListOptions{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		if got := keysOf(res.Items); !equalStrings(got, keys[ns]) {
			t.Fatalf("List(namespace %q) = %v, want %v", ns, got, keys[ns])
		}
		if res.Next != "" || res.Revision != h.idx {
			t.Fatalf("List(namespace %q): Next %q Revision %d, want \"\" and %d", ns, res.Next, res.Revision, h.idx)
		}
	}
	if res, _ := h.s.List(kCM, ListOptions{Namespace: "missing"}); len(res.Items) != 0 {
		t.Fatalf("List of an unknown namespace = %v", keysOf(res.Items))
	}
	res, _ := h.s.List(kNode, ListOptions{})
	if got := keysOf(res.Items); !equalStrings(got, []string{"n1", "n2"}) {
		t.Fatalf("List(Node) = %v", got)
	}
	if _, err := h.s.List("Widget", ListOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("List(Widget) error %v, want ErrNotFound", err)
	}
	if h.s.Count(kCM) != 30 || h.s.Count(kNode) != 2 || h.s.Count("Widget") != 0 {
		t.Fatalf("Count: cm %d node %d widget %d", h.s.Count(kCM), h.s.Count(kNode), h.s.Count("Widget"))
	}
	if _, _, err := h.s.Get("Widget", "", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(Widget) error %v", err)
	}
}

// paginate lists with opts page by page and checks each page.
func paginate(t *testing.T, s *Store, kind string, opts ListOptions) []string {
	t.Helper()
	var all []string
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		res, err := s.List(kind, opts)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Limit > 0 && len(res.Items) > opts.Limit {
			t.Fatalf("page of %d items over Limit %d", len(res.Items), opts.Limit)
		}
		for _, k := range keysOf(res.Items) {
			if seen[k] {
				t.Fatalf("%s listed twice (limit %d)", k, opts.Limit)
			}
			seen[k] = true
			all = append(all, k)
		}
		if res.Next == "" {
			return all
		}
		if opts.Match == nil && len(res.Items) != opts.Limit {
			t.Fatalf("a page of %d items before the end with Limit %d", len(res.Items), opts.Limit)
		}
		if k := keysOf(res.Items); len(k) > 0 && res.Next != k[len(k)-1] {
			t.Fatalf("Next %q is not the last key of the page %q", res.Next, k[len(k)-1])
		}
		opts.After = res.Next
	}
}

func TestListPagination(t *testing.T) {
	h, keys := listFixture(t)
	for _, ns := range []string{"", "a", "b"} {
		for limit := 1; limit <= len(keys[ns])+1; limit++ {
			got := paginate(t, h.s, kCM, ListOptions{Namespace: ns, Limit: limit})
			if !equalStrings(got, keys[ns]) {
				t.Fatalf("namespace %q limit %d reassembled %v, want %v", ns, limit, got, keys[ns])
			}
		}
	}
	// A page that fills exactly to the end needs no further page.
	res, _ := h.s.List(kCM, ListOptions{Namespace: "a", Limit: len(keys["a"])})
	if res.Next != "" {
		t.Fatalf("full page reported Next %q", res.Next)
	}
	// After is exclusive and need not be a stored key.
	res, _ = h.s.List(kCM, ListOptions{Namespace: "a", After: "a/cm-04", Limit: 2})
	if got := keysOf(res.Items); len(got) != 2 || got[0] <= "a/cm-04" {
		t.Fatalf("After a/cm-04: %v", got)
	}
	res, _ = h.s.List(kCM, ListOptions{Namespace: "a", After: "a/cm-045"})
	for _, k := range keysOf(res.Items) {
		if k <= "a/cm-045" {
			t.Fatalf("After a/cm-045 listed %s", k)
		}
	}
	// An After before the namespace starts at its beginning; one past it lists nothing.
	res, _ = h.s.List(kCM, ListOptions{Namespace: "b", After: "a/zzz"})
	if got := keysOf(res.Items); !equalStrings(got, keys["b"]) {
		t.Fatalf("After a/zzz in b: %v", got)
	}
	res, _ = h.s.List(kCM, ListOptions{Namespace: "a", After: "b/"})
	if len(res.Items) != 0 {
		t.Fatalf("After b/ in a: %v", keysOf(res.Items))
	}
}

func TestListMatchWithLimit(t *testing.T) {
	h, _ := listFixture(t)
	even := func(o *gantryv1.Object) bool {
		n, _ := strconv.Atoi(apimeta.Meta(o).GetLabels()["n"])
		return n%2 == 0
	}
	for _, ns := range []string{"", "ab"} {
		full, _ := h.s.List(kCM, ListOptions{Namespace: ns})
		var want []string
		for _, o := range full.Items {
			if even(o) {
				want = append(want, keysOf([]*gantryv1.Object{o})[0])
			}
		}
		if len(want) == 0 || len(want) == len(full.Items) {
			t.Fatalf("fixture: filter keeps %d of %d", len(want), len(full.Items))
		}
		res, _ := h.s.List(kCM, ListOptions{Namespace: ns, Match: even})
		if got := keysOf(res.Items); !equalStrings(got, want) {
			t.Fatalf("Match without limit = %v, want %v", got, want)
		}
		for limit := 1; limit <= len(want)+1; limit++ {
			got := paginate(t, h.s, kCM, ListOptions{Namespace: ns, Limit: limit, Match: even})
			if !equalStrings(got, want) {
				t.Fatalf("namespace %q Match+Limit %d reassembled %v, want %v", ns, limit, got, want)
			}
		}
	}
	none := func(*gantryv1.Object) bool { return false }
	if res, _ := h.s.List(kCM, ListOptions{Match: none, Limit: 3}); len(res.Items) != 0 || res.Next != "" {
		t.Fatalf("Match none: %v next %q", keysOf(res.Items), res.Next)
	}
}

// TestListSeesDeletes: a page taken after deletes does not list them and
// pagination across writes never repeats a key.
func TestListAcrossWrites(t *testing.T) {
	h, keys := listFixture(t)
	res, _ := h.s.List(kCM, ListOptions{Namespace: "a", Limit: 3})
	h.mustApply(deleteOp(kCM, "a", apimeta.Meta(res.Items[0]).GetName()), deleteOp(kCM, "a", keys["a"][4][2:]))
	h.mustApply(createOp(cmObj("a", "cm-00a", nil)), createOp(cmObj("a", "zzz", nil)))
	rest := paginate(t, h.s, kCM, ListOptions{Namespace: "a", Limit: 2, After: res.Next})
	got := append(keysOf(res.Items), rest...)
	want := append(append(append([]string{}, keys["a"][:4]...), keys["a"][5:]...), "a/zzz")
	if !equalStrings(got, want) {
		t.Fatalf("paginating across writes: %v, want %v", got, want)
	}
	if page, _ := h.s.List(kCM, ListOptions{Namespace: "a", Limit: 1}); page.Revision != h.idx {
		t.Fatalf("page Revision %d, want %d", page.Revision, h.idx)
	}
}
