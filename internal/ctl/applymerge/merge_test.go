package applymerge

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func svc(labels map[string]string, spec *gantryv1.ServiceSpec) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Service{Service: &gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Name: "web", Namespace: "default", Labels: labels},
		Spec:     spec,
	}}}
}

// live is what the server holds after applying m: m plus server-set fields.
func live(t *testing.T, m *gantryv1.Object, clusterIP string) *gantryv1.Object {
	t.Helper()
	d, err := WithLastApplied(m)
	if err != nil {
		t.Fatal(err)
	}
	l := proto.Clone(d).(*gantryv1.Object)
	md := l.GetService().GetMetadata()
	md.Uid, md.ResourceVersion = "u1", "7"
	l.GetService().Spec.ClusterIp = clusterIP
	return l
}

func TestMergeKeepsServerFieldsAndDropsRemovedOnes(t *testing.T) {
	first := svc(map[string]string{"app": "web", "tier": "front"}, &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web"}})
	l := live(t, first, "10.96.0.10")

	// The new manifest drops the tier label and changes the selector.
	second := svc(map[string]string{"app": "web"}, &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web2"}})
	d, err := WithLastApplied(second)
	if err != nil {
		t.Fatal(err)
	}
	merged, changed, err := Merge(l, d)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Fatal("changed = false, want true")
	}
	s := merged.GetService()
	if got := s.GetSpec().GetClusterIp(); got != "10.96.0.10" {
		t.Errorf("clusterIP = %q, want the allocated one kept", got)
	}
	if _, ok := s.GetMetadata().GetLabels()["tier"]; ok {
		t.Errorf("label tier kept, want removed (it was applied before and is gone from the manifest)")
	}
	if got := s.GetSpec().GetSelector()["app"]; got != "web2" {
		t.Errorf("selector app = %q, want web2", got)
	}
	if s.GetMetadata().GetResourceVersion() != "7" || s.GetMetadata().GetUid() != "u1" {
		t.Errorf("metadata = %v, want the live uid and resource_version", s.GetMetadata())
	}
}

func TestMergeSameManifestIsUnchanged(t *testing.T) {
	m := svc(map[string]string{"app": "web"}, &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web"}})
	l := live(t, m, "10.96.0.10")
	d, err := WithLastApplied(m)
	if err != nil {
		t.Fatal(err)
	}
	_, changed, err := Merge(l, d)
	if err != nil {
		t.Fatal(err)
	}
	if changed {
		t.Fatal("changed = true for the same manifest, want unchanged")
	}
}

func TestMergeKeepsFieldsSetByOthers(t *testing.T) {
	m := svc(nil, &gantryv1.ServiceSpec{Selector: map[string]string{"app": "web"}})
	l := live(t, m, "")
	// Someone else (not apply) set a label.
	l.GetService().Metadata.Labels = map[string]string{"owner": "ops"}
	d, _ := WithLastApplied(m)
	merged, changed, err := Merge(l, d)
	if err != nil {
		t.Fatal(err)
	}
	if changed || merged.GetService().GetMetadata().GetLabels()["owner"] != "ops" {
		t.Fatalf("changed=%v labels=%v, want the other writer's label kept and nothing to do", changed, merged.GetService().GetMetadata().GetLabels())
	}
}

func TestMergeKindMismatch(t *testing.T) {
	a := svc(nil, nil)
	b := &gantryv1.Object{Kind: &gantryv1.Object_ConfigMap{ConfigMap: &gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: "web"}}}}
	if _, _, err := Merge(a, b); err == nil {
		t.Fatal("Merge of a ConfigMap over a Service succeeded, want an error")
	}
}

func TestThreeWayNamedListsKeepServerDefaults(t *testing.T) {
	original := map[string]any{"containers": []any{
		map[string]any{"name": "a", "image": "x"},
		map[string]any{"name": "gone", "image": "y"},
	}}
	modified := map[string]any{"containers": []any{
		map[string]any{"name": "a", "image": "x2"},
	}}
	current := map[string]any{"containers": []any{
		map[string]any{"name": "a", "image": "x", "terminationMessagePath": "/dev/termination-log"},
		map[string]any{"name": "gone", "image": "y"},
		map[string]any{"name": "injected", "image": "z"},
	}}
	got := threeWay(original, modified, current).(map[string]any)["containers"].([]any)
	if len(got) != 2 {
		t.Fatalf("containers = %v, want a (updated, default kept) and injected", got)
	}
	a := got[0].(map[string]any)
	if a["image"] != "x2" || a["terminationMessagePath"] != "/dev/termination-log" {
		t.Errorf("container a = %v, want image x2 with the server's default kept", a)
	}
	if got[1].(map[string]any)["name"] != "injected" {
		t.Errorf("second container = %v, want the one someone else added", got[1])
	}
}

func TestThreeWayUnkeyedListsReplaced(t *testing.T) {
	got := threeWay(nil, map[string]any{"args": []any{"a"}}, map[string]any{"args": []any{"a", "b"}})
	if l := got.(map[string]any)["args"].([]any); len(l) != 1 {
		t.Fatalf("args = %v, want the manifest's list", l)
	}
}

func secretObj(data map[string][]byte, stringData map[string]string) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Secret{Secret: &gantryv1.Secret{
		Metadata: &gantryv1.ObjectMeta{Name: "pw", Namespace: "default"}, Data: data, StringData: stringData}}}
}

// TestMergeSecretStringData: the server folds stringData into data, so an
// apply compares and records the manifest that way too: the same manifest
// is unchanged, a key dropped from stringData leaves data, and a changed
// value is a change.
func TestMergeSecretStringData(t *testing.T) {
	stored := func(t *testing.T, m *gantryv1.Object) *gantryv1.Object {
		t.Helper()
		d, err := WithLastApplied(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.GetSecret().GetStringData()) != 0 {
			t.Fatalf("desired keeps stringData %v", d.GetSecret().GetStringData())
		}
		return d
	}
	first := stored(t, secretObj(map[string][]byte{"user": []byte("u")}, map[string]string{"password": "p1", "token": "t"}))
	l := proto.Clone(first).(*gantryv1.Object)
	l.GetSecret().Metadata.ResourceVersion = "3"

	if _, changed, err := Merge(l, stored(t, secretObj(map[string][]byte{"user": []byte("u")}, map[string]string{"password": "p1", "token": "t"}))); err != nil || changed {
		t.Fatalf("same manifest: changed=%v err=%v, want unchanged", changed, err)
	}
	merged, changed, err := Merge(l, stored(t, secretObj(map[string][]byte{"user": []byte("u")}, map[string]string{"password": "p2"})))
	if err != nil || !changed {
		t.Fatalf("changed manifest: changed=%v err=%v", changed, err)
	}
	data := merged.GetSecret().GetData()
	if string(data["password"]) != "p2" || string(data["user"]) != "u" || data["token"] != nil || len(merged.GetSecret().GetStringData()) != 0 {
		t.Fatalf("merged data %q stringData %v, want password p2, user kept, token gone", data, merged.GetSecret().GetStringData())
	}
}

func TestThreeWayUnkeyedListsKeepOthersAdditions(t *testing.T) {
	tol := func(key string) any { return map[string]any{"key": key, "operator": "Exists"} }
	mine := []any{tol("mine")}
	withDefaults := []any{tol("mine"), tol("not-ready"), tol("unreachable")}
	for _, tc := range []struct {
		name                        string
		original, modified, current any
		want                        []any
	}{
		{"unchanged manifest keeps additions", mine, mine, withDefaults, withDefaults},
		{"changed manifest replaces", mine, []any{tol("other")}, withDefaults, []any{tol("other")}},
		{"an element someone removed comes back", []any{tol("a"), tol("b")}, []any{tol("a"), tol("b")}, []any{tol("a")}, []any{tol("a"), tol("b")}},
		{"never applied replaces", nil, mine, withDefaults, mine},
		{"scalars: others' finalizer kept", []any{"mine"}, []any{"mine"}, []any{"theirs", "mine"}, []any{"theirs", "mine"}},
		{"duplicates count", []any{"a", "a"}, []any{"a", "a"}, []any{"a", "b"}, []any{"a", "a"}},
	} {
		got := threeWay(map[string]any{"l": tc.original}, map[string]any{"l": tc.modified}, map[string]any{"l": tc.current}).(map[string]any)["l"]
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestThreeWayStrategyRetainsKeys: switching a Deployment's strategy to
// Recreate drops the rollingUpdate the server defaulted; leaving the
// strategy as it was keeps the defaults.
func TestThreeWayStrategyRetainsKeys(t *testing.T) {
	current := map[string]any{"strategy": map[string]any{"type": "RollingUpdate",
		"rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": "25%"}}}
	got := threeWay(map[string]any{}, map[string]any{"strategy": map[string]any{"type": "Recreate"}}, current)
	if want := map[string]any{"strategy": map[string]any{"type": "Recreate"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("switch to Recreate: %v, want %v", got, want)
	}
	same := map[string]any{"strategy": map[string]any{"type": "RollingUpdate"}}
	if got := threeWay(same, same, current); !reflect.DeepEqual(got, current) {
		t.Fatalf("unchanged strategy: %v, want the defaults kept: %v", got, current)
	}
	// Not a strategy: keys the server added stay even when the object changed.
	got = threeWay(map[string]any{}, map[string]any{"selector": map[string]any{"a": "1"}}, map[string]any{"selector": map[string]any{"b": "2"}})
	if want := map[string]any{"selector": map[string]any{"a": "1", "b": "2"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ordinary object: %v, want %v", got, want)
	}
}
