package ctl

import (
	"strings"
	"testing"

	"github.com/gantryio/gantry/internal/apimeta"
)

// TestResolveKindKubectlNames: every spelling a kubectl user types for a
// type (short name, singular, plural, kind, group-qualified) resolves.
func TestResolveKindKubectlNames(t *testing.T) {
	for kind, names := range map[string][]string{
		apimeta.KindPod:                 {"po", "pod", "pods", "Pod", "PODS"},
		apimeta.KindDeployment:          {"deploy", "deployment", "deployments", "Deployment", "deployments.apps", "deployment.apps"},
		apimeta.KindReplicaSet:          {"rs", "replicaset", "replicasets", "replicasets.apps"},
		apimeta.KindService:             {"svc", "service", "services"},
		apimeta.KindNode:                {"no", "node", "nodes"},
		apimeta.KindNamespace:           {"ns", "namespace", "namespaces"},
		apimeta.KindConfigMap:           {"cm", "configmap", "configmaps"},
		apimeta.KindSecret:              {"secret", "secrets"},
		apimeta.KindEvent:               {"ev", "event", "events"},
		apimeta.KindEndpointSlice:       {"eps", "endpointslice", "endpointslices", "endpointslices.discovery.k8s.io"},
		apimeta.KindLease:               {"lease", "leases", "leases.coordination.k8s.io"},
		apimeta.KindIngress:             {"ing", "ingress", "ingresses", "ingresses.networking.k8s.io"},
		apimeta.KindPodDisruptionBudget: {"pdb", "poddisruptionbudget", "poddisruptionbudgets", "poddisruptionbudgets.policy"},
	} {
		for _, n := range names {
			info, err := resolveKind(n)
			if err != nil || info.Name != kind {
				t.Errorf("resolveKind(%q) = %v, %v; want %s", n, info, err, kind)
			}
		}
	}
}

// TestResolveKindEveryKind: no kind Gantry has is left without its plural.
func TestResolveKindEveryKind(t *testing.T) {
	for _, k := range apimeta.Kinds() {
		for _, n := range []string{k, strings.ToLower(k), pluralOf(strings.ToLower(k))} {
			if info, err := resolveKind(n); err != nil || info.Name != k {
				t.Errorf("resolveKind(%q) = %v, %v; want %s", n, info, err, k)
			}
		}
	}
}

func TestResolveKindUnknown(t *testing.T) {
	for _, n := range []string{"widgets", "deploymentz", "", "deployments.batch", "po/x"} {
		_, err := resolveKind(n)
		if err == nil {
			t.Errorf("resolveKind(%q) succeeded, want an error", n)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `doesn't have a resource type "`+n+`"`) || !strings.Contains(msg, "pods") || !strings.Contains(msg, "deployments") {
			t.Errorf("resolveKind(%q): %q, want the type named and the known ones listed", n, msg)
		}
	}
}

func TestResolveKinds(t *testing.T) {
	infos, err := resolveKinds("deploy,cm,,po")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range infos {
		got = append(got, i.Name)
	}
	if strings.Join(got, ",") != "Deployment,ConfigMap,Pod" {
		t.Fatalf("resolveKinds = %v", got)
	}
	if _, err := resolveKinds("deploy,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("resolveKinds with an unknown type: %v", err)
	}
	if _, err := resolveKinds(","); err == nil || !strings.Contains(err.Error(), "a resource type is required") {
		t.Fatalf("resolveKinds(\",\"): %v", err)
	}
}

func TestSplitTypeName(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		kinds string // comma-separated kind names
		names string
		err   string
	}{
		{args: []string{"pods"}, kinds: "Pod"},
		{args: []string{"deploy,svc"}, kinds: "Deployment,Service"},
		{args: []string{"po", "a", "b"}, kinds: "Pod,Pod", names: "a,b"},
		{args: []string{"deploy/web"}, kinds: "Deployment", names: "web"},
		{args: []string{"deploy/web", "po/x"}, kinds: "Deployment,Pod", names: "web,x"},
		{args: nil, err: "a resource type is required"},
		{args: []string{"deploy,svc", "web"}, err: "names can be given with one resource type only"},
		{args: []string{"deploy/web", "x"}, err: `"x": expected TYPE/NAME`},
		{args: []string{"deploy/"}, err: `"deploy/": expected TYPE/NAME`},
		{args: []string{"nope/web"}, err: `resource type "nope"`},
		{args: []string{"nope", "web"}, err: `resource type "nope"`},
		{args: []string{"deploy", "pod/x"}, err: `"pod/x": give either TYPE NAME... or TYPE/NAME..., not both`},
	} {
		kinds, names, err := splitTypeName(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("splitTypeName(%q) = %v, want an error with %q", tc.args, err, tc.err)
			}
			continue
		}
		var ks []string
		for _, k := range kinds {
			ks = append(ks, k.Name)
		}
		if err != nil || strings.Join(ks, ",") != tc.kinds || strings.Join(names, ",") != tc.names {
			t.Errorf("splitTypeName(%q) = %v %v %v, want %s %s", tc.args, ks, names, err, tc.kinds, tc.names)
		}
	}
}
