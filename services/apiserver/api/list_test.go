package api_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
)

// TestList checks List across namespaces, label and field selectors, and
// pagination.
func TestList(t *testing.T) {
	c := newCluster(t)
	leader := c.Leader()
	f1, f2 := c.Followers()[0], c.Followers()[1]

	for _, ns := range []string{"alpha", "beta"} {
		create(t, leader, namespace(ns))
	}
	// 3 namespaces x 4 ConfigMaps with varied labels.
	labelsFor := []map[string]string{
		{"app": "web", "tier": "front"},
		{"app": "web", "tier": "back"},
		{"app": "db"},
		nil,
	}
	var all []string
	for _, ns := range []string{"alpha", "beta", "default"} {
		for i, l := range labelsFor {
			name := fmt.Sprintf("cm-%d", i)
			create(t, c.Members[i%3], configMap(ns, name, l, nil))
			all = append(all, ns+"/"+name)
		}
	}
	// Pods: two bound to n1, one to n2, one unbound; phases set through status.
	create(t, leader, pod("alpha", "p-n1-a", "n1", nil))
	create(t, leader, pod("beta", "p-n1-b", "n1", nil))
	create(t, leader, pod("alpha", "p-n2", "n2", nil))
	unbound := create(t, leader, pod("alpha", "p-none", "", nil))
	unbound.GetPod().Status = &gantryv1.PodStatus{Phase: "Running"}
	if _, err := f1.Resource.UpdateStatus(ctxT(t), &gantryv1.UpdateStatusRequest{Object: unbound}); err != nil {
		t.Fatal(err)
	}

	sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }
	check := func(t *testing.T, req *gantryv1.ListRequest, want []string) {
		t.Helper()
		for _, m := range c.Members {
			got := names(listAll(t, m, req))
			if !slices.Equal(got, sorted(want)) {
				t.Errorf("%s: list kind=%s ns=%q labels=%q fields=%q:\n got %v\nwant %v", m.ID, req.GetKind(), req.GetNamespace(), req.GetLabelSelector(), req.GetFieldSelector(), got, sorted(want))
			}
		}
	}

	t.Run("namespaces", func(t *testing.T) {
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap"}, all)
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "beta"},
			[]string{"beta/cm-0", "beta/cm-1", "beta/cm-2", "beta/cm-3"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "nonexistent"}, nil)
		// Cluster-scoped kinds list without a namespace.
		check(t, &gantryv1.ListRequest{Kind: "Namespace"}, []string{"alpha", "beta", "default", "gantry-node-lease", "gantry-system"})
	})

	t.Run("label selectors", func(t *testing.T) {
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", LabelSelector: "app=web"},
			[]string{"alpha/cm-0", "alpha/cm-1", "beta/cm-0", "beta/cm-1", "default/cm-0", "default/cm-1"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "alpha", LabelSelector: "app=web,tier!=back"},
			[]string{"alpha/cm-0"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "alpha", LabelSelector: "app in (web,db),tier notin (front)"},
			[]string{"alpha/cm-1", "alpha/cm-2"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "beta", LabelSelector: "!app"},
			[]string{"beta/cm-3"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "beta", LabelSelector: "tier"},
			[]string{"beta/cm-0", "beta/cm-1"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", LabelSelector: "app=nothing"}, nil)
	})

	t.Run("field selectors", func(t *testing.T) {
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "metadata.name=cm-2"},
			[]string{"alpha/cm-2", "beta/cm-2", "default/cm-2"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "metadata.namespace=beta,metadata.name!=cm-0"},
			[]string{"beta/cm-1", "beta/cm-2", "beta/cm-3"})
		check(t, &gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "metadata.namespace==alpha", LabelSelector: "app=db"},
			[]string{"alpha/cm-2"})
		check(t, &gantryv1.ListRequest{Kind: "Pod", FieldSelector: "spec.nodeName=n1"},
			[]string{"alpha/p-n1-a", "beta/p-n1-b"})
		check(t, &gantryv1.ListRequest{Kind: "Pod", FieldSelector: "spec.nodeName="},
			[]string{"alpha/p-none"})
		check(t, &gantryv1.ListRequest{Kind: "Pod", Namespace: "alpha", FieldSelector: "spec.nodeName!=n1"},
			[]string{"alpha/p-n2", "alpha/p-none"})
		check(t, &gantryv1.ListRequest{Kind: "Pod", FieldSelector: "status.phase=Running"},
			[]string{"alpha/p-none"})
		check(t, &gantryv1.ListRequest{Kind: "Pod", FieldSelector: "status.phase!=Running,spec.nodeName=n1"},
			[]string{"alpha/p-n1-a", "beta/p-n1-b"})
		check(t, &gantryv1.ListRequest{Kind: "Namespace", FieldSelector: "metadata.name=beta"}, []string{"beta"})
	})

	t.Run("pagination", func(t *testing.T) {
		create(t, leader, namespace("paged"))
		var want []string
		for i := 0; i < 23; i++ {
			name := fmt.Sprintf("item-%02d", i)
			lbl := map[string]string{"parity": []string{"even", "odd"}[i%2]}
			create(t, c.Members[i%3], configMap("paged", name, lbl, nil))
			want = append(want, "paged/"+name)
		}
		for _, limit := range []int64{1, 5, 7, 23, 24, 100} {
			req := &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "paged", Limit: limit}
			var got []string
			pages := 0
			for via := 0; ; via++ {
				// Each page from a different master: tokens are not tied to one.
				resp, err := c.Members[via%3].Resource.List(ctxT(t), req)
				if err != nil {
					t.Fatalf("limit %d page %d: %v", limit, pages, err)
				}
				pages++
				if int64(len(resp.GetItems())) > limit {
					t.Errorf("limit %d: page of %d items", limit, len(resp.GetItems()))
				}
				if resp.GetResourceVersion() == "" {
					t.Errorf("limit %d: page without resource_version", limit)
				}
				got = append(got, names(resp.GetItems())...)
				if resp.GetContinueToken() == "" {
					break
				}
				req.ContinueToken = resp.GetContinueToken()
				if pages > 30 {
					t.Fatalf("limit %d: more than 30 pages", limit)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("limit %d: pages reassemble to\n%v\nwant\n%v", limit, got, want)
			}
			if wantPages := (23 + int(limit) - 1) / int(limit); pages < wantPages || pages > wantPages+1 {
				t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
			}
		}

		// With a selector, pages hold matching items only.
		odd := names(listAll(t, f2, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "paged", LabelSelector: "parity=odd", Limit: 4}))
		var wantOdd []string
		for i := 1; i < 23; i += 2 {
			wantOdd = append(wantOdd, fmt.Sprintf("paged/item-%02d", i))
		}
		if !slices.Equal(odd, wantOdd) {
			t.Errorf("selector pages:\n got %v\nwant %v", odd, wantOdd)
		}

		// Changes between pages: no duplicates, and nothing that existed
		// throughout is skipped.
		first, err := f1.Resource.List(ctxT(t), &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "paged", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		del(t, leader, "ConfigMap", "paged", "item-03") // already returned
		del(t, leader, "ConfigMap", "paged", "item-15") // not yet returned
		create(t, leader, configMap("paged", "item-00a", nil, nil))
		create(t, leader, configMap("paged", "item-99", nil, nil))
		got := names(first.GetItems())
		rest := listAll(t, f2, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "paged", Limit: 10, ContinueToken: first.GetContinueToken()})
		got = append(got, names(rest)...)
		seen := map[string]bool{}
		for _, n := range got {
			if seen[n] {
				t.Errorf("%s listed twice", n)
			}
			seen[n] = true
		}
		for _, n := range want {
			if n != "paged/item-03" && n != "paged/item-15" && !seen[n] {
				t.Errorf("%s was there throughout but not listed", n)
			}
		}
		if seen["paged/item-15"] || !seen["paged/item-99"] {
			t.Errorf("later pages should show the state when they are read: %v", got)
		}

		// A token belongs to its list.
		tok := first.GetContinueToken()
		for _, req := range []*gantryv1.ListRequest{
			{Kind: "Pod", Namespace: "paged", ContinueToken: tok},
			{Kind: "Secret", Namespace: "paged", ContinueToken: tok},
			{Kind: "ConfigMap", Namespace: "alpha", ContinueToken: tok},
			{Kind: "ConfigMap", ContinueToken: tok},
			{Kind: "ConfigMap", Namespace: "paged", LabelSelector: "parity=odd", ContinueToken: tok},
			{Kind: "ConfigMap", Namespace: "paged", FieldSelector: "metadata.name=item-01", ContinueToken: tok},
		} {
			_, err := leader.Resource.List(ctxT(t), req)
			wantStatus(t, err, codes.InvalidArgument, "continue_token", "different list")
		}
		// A token from a list of Pods does not resume a list of Nodes.
		pp, err := leader.Resource.List(ctxT(t), &gantryv1.ListRequest{Kind: "Pod", Limit: 1})
		if err != nil || pp.GetContinueToken() == "" {
			t.Fatalf("pod page: %v, token %q", err, pp.GetContinueToken())
		}
		_, err = leader.Resource.List(ctxT(t), &gantryv1.ListRequest{Kind: "Node", ContinueToken: pp.GetContinueToken()})
		wantStatus(t, err, codes.InvalidArgument, "continue_token", "different list")
	})

	t.Run("resource_version of a list", func(t *testing.T) {
		resp, err := f2.Resource.List(ctxT(t), &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: "alpha"})
		if err != nil {
			t.Fatal(err)
		}
		listRV := rvNum(t, resp.GetResourceVersion())
		for _, o := range resp.GetItems() {
			if rv := rvNum(t, rvOf(o)); rv > listRV {
				t.Errorf("%s at %d is newer than the list's %d", apimeta.Meta(o).GetName(), rv, listRV)
			}
		}
		// A write after the list gets a larger version.
		out := create(t, leader, configMap("alpha", "after-list", nil, nil))
		if rvNum(t, rvOf(out)) <= listRV {
			t.Errorf("write after the list at %s, list at %d", rvOf(out), listRV)
		}
	})
}
