package taints

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// The node lifecycle taints.
const (
	// NotReady is set while the node agent reports Ready=False.
	NotReady = "node.gantry.io/not-ready"
	// Unreachable is set while the node's Ready condition is Unknown: the
	// node agent stopped renewing its lease.
	Unreachable = "node.gantry.io/unreachable"
	// KubernetesNotReady and KubernetesUnreachable are Kubernetes' names
	// of the same taints; tolerations may use them.
	KubernetesNotReady    = "node.kubernetes.io/not-ready"
	KubernetesUnreachable = "node.kubernetes.io/unreachable"
)

// PodNotReadyReason is the reason of the Ready condition the node
// lifecycle controller sets False on the pods of a node that is no longer
// Ready (Kubernetes' MarkPodsNotReady), so Services stop sending them
// traffic long before they are evicted. A node agent that sees it on a
// pod it runs writes the pod's real status again.
const PodNotReadyReason = "NodeNotReady"

// Taint effects.
const (
	NoSchedule       = "NoSchedule"
	PreferNoSchedule = "PreferNoSchedule"
	NoExecute        = "NoExecute"
)

// aliases maps a Gantry taint key to the Kubernetes key that tolerations
// may name instead.
var aliases = map[string]string{NotReady: KubernetesNotReady, Unreachable: KubernetesUnreachable}

// keyMatches reports whether a toleration's key names the taint key.
func keyMatches(tolKey, taintKey string) bool {
	return tolKey == "" || tolKey == taintKey || (aliases[taintKey] != "" && tolKey == aliases[taintKey])
}

// Tolerates reports whether one toleration tolerates taint, with
// Kubernetes' rules: an empty effect matches every effect, an empty key
// with Exists matches every key, Equal (or no operator) compares values.
func Tolerates(t *gantryv1.Toleration, taint *gantryv1.Taint) bool {
	if t == nil || taint == nil {
		return false
	}
	if t.GetEffect() != "" && t.GetEffect() != taint.GetEffect() {
		return false
	}
	if !keyMatches(t.GetKey(), taint.GetKey()) {
		return false
	}
	switch t.GetOperator() {
	case "", "Equal":
		return t.GetValue() == taint.GetValue()
	case "Exists":
		return true
	}
	return false
}

// Forever is what TolerationTime returns for a taint tolerated without
// a time limit.
const Forever time.Duration = -1

// TolerationTime returns how long tolerations let a pod stay on a node
// with taint: ok is false when none tolerates it; Forever when a matching
// toleration has no tolerationSeconds and none has a limit. As in
// Kubernetes, the shortest tolerationSeconds of the matching tolerations
// wins, and a negative one means zero.
func TolerationTime(tols []*gantryv1.Toleration, taint *gantryv1.Taint) (d time.Duration, ok bool) {
	d = Forever
	for _, t := range tols {
		if !Tolerates(t, taint) {
			continue
		}
		ok = true
		if t.TolerationSeconds == nil {
			continue
		}
		s := time.Duration(max(t.GetTolerationSeconds(), 0)) * time.Second
		if d == Forever || s < d {
			d = s
		}
	}
	return d, ok
}

// IsLifecycle reports whether taint is one the node lifecycle controller
// manages (NotReady or Unreachable with effect NoExecute).
func IsLifecycle(taint *gantryv1.Taint) bool {
	return taint.GetEffect() == NoExecute && (taint.GetKey() == NotReady || taint.GetKey() == Unreachable)
}

// HasDefaultToleration reports whether tols already say something about
// the NoExecute taint key (or everything), the way Kubernetes'
// DefaultTolerationSeconds admission decides not to add its own: a
// toleration naming the key (or its Kubernetes alias), or no key, with
// effect NoExecute or none.
func HasDefaultToleration(tols []*gantryv1.Toleration, key string) bool {
	for _, t := range tols {
		if t == nil {
			continue
		}
		if keyMatches(t.GetKey(), key) && (t.GetEffect() == NoExecute || t.GetEffect() == "") {
			return true
		}
	}
	return false
}

// DefaultToleration is the toleration the apiserver adds for key: Exists,
// NoExecute, for seconds.
func DefaultToleration(key string, seconds int64) *gantryv1.Toleration {
	return &gantryv1.Toleration{Key: key, Operator: "Exists", Effect: NoExecute, TolerationSeconds: &seconds}
}
