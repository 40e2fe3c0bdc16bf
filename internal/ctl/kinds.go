package ctl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gantryio/gantry/internal/apimeta"
)

// kindAliases maps what a kubectl user types to Gantry's kind names:
// singular, plural, short name, and group-qualified plural.
var kindAliases = map[string]string{}

// shortNames are kubectl's short names.
var shortNames = map[string]string{
	"po": apimeta.KindPod, "deploy": apimeta.KindDeployment, "svc": apimeta.KindService,
	"no": apimeta.KindNode, "ns": apimeta.KindNamespace, "cm": apimeta.KindConfigMap,
	"rs": apimeta.KindReplicaSet, "ev": apimeta.KindEvent, "eps": apimeta.KindEndpointSlice,
	"ing": apimeta.KindIngress, "pdb": apimeta.KindPodDisruptionBudget,
}

func init() {
	for _, k := range apimeta.Kinds() {
		info, _ := apimeta.Lookup(k)
		lower := strings.ToLower(k)
		plural := pluralOf(lower)
		kindAliases[lower] = k
		kindAliases[plural] = k
		if g, _, ok := strings.Cut(info.APIVersion, "/"); ok {
			kindAliases[plural+"."+g] = k
			kindAliases[lower+"."+g] = k
		}
	}
	for s, k := range shortNames {
		kindAliases[s] = k
	}
}

func pluralOf(lower string) string {
	if strings.HasSuffix(lower, "s") {
		return lower + "es"
	}
	return lower + "s"
}

// resolveKind turns "po", "pods", "Pod" or "deployments.apps" into a kind.
func resolveKind(s string) (*apimeta.Info, error) {
	k, ok := kindAliases[strings.ToLower(s)]
	if !ok {
		return nil, fmt.Errorf("the server doesn't have a resource type %q (known: %s)", s, strings.Join(knownResources(), ", "))
	}
	info, _ := apimeta.Lookup(k)
	return info, nil
}

// resolveKinds resolves a comma-separated list ("svc,endpointslices").
func resolveKinds(s string) ([]*apimeta.Info, error) {
	var out []*apimeta.Info
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		info, err := resolveKind(part)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("a resource type is required, such as pods or deployments")
	}
	return out, nil
}

// resourceName is the singular lower-case name gantryctl prints in
// "deployment/web created" (kubectl's "deployment.apps/web": Gantry has
// one group per kind, so the group says nothing).
func resourceName(kind string) string { return strings.ToLower(kind) }

func knownResources() []string {
	var out []string
	for _, k := range apimeta.Kinds() {
		out = append(out, pluralOf(strings.ToLower(k)))
	}
	sort.Strings(out)
	return out
}

// splitTypeName accepts "KIND NAME..." or "KIND/NAME" forms, as kubectl does.
func splitTypeName(args []string) (kinds []*apimeta.Info, names []string, err error) {
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("a resource type is required, such as pods or deployments")
	}
	if strings.Contains(args[0], "/") {
		for _, a := range args {
			t, n, ok := strings.Cut(a, "/")
			if !ok || n == "" {
				return nil, nil, fmt.Errorf("%q: expected TYPE/NAME", a)
			}
			info, err := resolveKind(t)
			if err != nil {
				return nil, nil, err
			}
			kinds = append(kinds, info)
			names = append(names, n)
		}
		return kinds, names, nil
	}
	ks, err := resolveKinds(args[0])
	if err != nil {
		return nil, nil, err
	}
	if len(args) > 1 && len(ks) > 1 {
		return nil, nil, fmt.Errorf("names can be given with one resource type only, not %q", args[0])
	}
	for _, n := range args[1:] {
		if strings.Contains(n, "/") {
			return nil, nil, fmt.Errorf("%q: give either TYPE NAME... or TYPE/NAME..., not both", n)
		}
		kinds = append(kinds, ks[0])
		names = append(names, n)
	}
	if len(args) == 1 {
		kinds = ks
	}
	return kinds, names, nil
}
