package applymerge

import "reflect"

// threeWay merges JSON values (as decoded by encoding/json): original is
// what was applied last time (nil when never), modified what is applied
// now, current the live value. The result is current with the changes
// from original to modified applied:
//   - objects merge key by key; a key in original but not in modified is
//     removed; keys only in current (defaults, fields others set) stay;
//   - lists of objects that all carry a unique merge key ("name", or
//     "containerPort"/"port" for port lists) merge element by element, as
//     Kubernetes' strategic merge does for containers, env and ports, so a
//     default the server filled into a container is not taken as a change;
//     elements only in current stay unless original had them;
//   - other lists are replaced by modified's, unless the manifest left them
//     as they were and current only adds to them;
//   - objects that hold alternatives (a Deployment's strategy) keep only the
//     keys modified sets, when modified changed them;
//   - anything else is replaced by modified's value.
func threeWay(original, modified, current any) any {
	switch m := modified.(type) {
	case map[string]any:
		c, ok := current.(map[string]any)
		if !ok {
			return m
		}
		o, _ := original.(map[string]any)
		return mergeObjects(o, m, c)
	case []any:
		c, ok := current.([]any)
		if !ok {
			return m
		}
		o, _ := original.([]any)
		if key := mergeKey(m, c); key != "" {
			return mergeLists(key, o, m, c)
		}
		// An unkeyed list the manifest left as it was keeps what others
		// added to it: the default tolerations the server gives a pod
		// (which an update may not remove), a controller's finalizer.
		if reflect.DeepEqual(original, modified) && containsAll(c, m) {
			return c
		}
		return m
	}
	return modified
}

// containsAll says whether every element of sub is in list, as many times.
func containsAll(list, sub []any) bool {
	used := make([]bool, len(list))
	for _, want := range sub {
		found := false
		for i, have := range list {
			if !used[i] && reflect.DeepEqual(have, want) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func mergeObjects(o, m, c map[string]any) map[string]any {
	out := make(map[string]any, len(c)+len(m))
	for k, v := range c {
		out[k] = v
	}
	for k := range o {
		if _, keep := m[k]; !keep {
			delete(out, k)
		}
	}
	for k, v := range m {
		merged := threeWay(o[k], v, c[k])
		if retainKeys[k] && !reflect.DeepEqual(o[k], v) {
			merged = retainOnly(merged, v)
		}
		out[k] = merged
	}
	return out
}

// retainKeys are objects that hold one of several alternatives (Kubernetes'
// retainKeys patch strategy): when the manifest changes one, the keys it
// does not set are cleared, so that switching a Deployment's strategy to
// Recreate drops the rollingUpdate the server defaulted.
var retainKeys = map[string]bool{"strategy": true}

// retainOnly drops the keys of merged that modified does not have.
func retainOnly(merged, modified any) any {
	mo, ok1 := merged.(map[string]any)
	mm, ok2 := modified.(map[string]any)
	if !ok1 || !ok2 {
		return merged
	}
	for k := range mo {
		if _, keep := mm[k]; !keep {
			delete(mo, k)
		}
	}
	return mo
}

// mergeKeys are tried in order; the first that every element of both
// lists carries, uniquely, is used.
var mergeKeys = []string{"name", "containerPort", "port"}

func mergeKey(lists ...[]any) string {
	for _, k := range mergeKeys {
		if keyedBy(k, lists...) {
			return k
		}
	}
	return ""
}

func keyedBy(key string, lists ...[]any) bool {
	for _, l := range lists {
		seen := map[any]bool{}
		for _, el := range l {
			obj, ok := el.(map[string]any)
			if !ok {
				return false
			}
			v, ok := obj[key]
			if !ok || seen[v] {
				return false
			}
			switch v.(type) {
			case string, float64:
			default:
				return false
			}
			seen[v] = true
		}
	}
	return true
}

func mergeLists(key string, o, m, c []any) []any {
	byKey := func(l []any) map[any]map[string]any {
		out := make(map[any]map[string]any, len(l))
		for _, el := range l {
			if obj, ok := el.(map[string]any); ok {
				if v, ok := obj[key]; ok {
					out[v] = obj
				}
			}
		}
		return out
	}
	oi, ci := byKey(o), byKey(c)
	out := make([]any, 0, len(m)+len(c))
	inM := make(map[any]bool, len(m))
	for _, el := range m {
		obj := el.(map[string]any)
		k := obj[key]
		inM[k] = true
		if cur, ok := ci[k]; ok {
			var orig map[string]any
			if oo, ok := oi[k]; ok {
				orig = oo
			}
			out = append(out, mergeObjects(orig, obj, cur))
			continue
		}
		out = append(out, obj)
	}
	// Elements someone else added stay; ones this manifest applied before
	// and now dropped go.
	for _, el := range c {
		k := el.(map[string]any)[key]
		if _, applied := oi[k]; !inM[k] && !applied {
			out = append(out, el)
		}
	}
	return out
}
