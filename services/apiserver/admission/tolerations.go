package admission

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/taints"
)

// DefaultTolerationSeconds is how long a pod stays on a not-ready or
// unreachable node before the node lifecycle controller evicts it, unless
// the pod says otherwise: Kubernetes' 300 s.
const DefaultTolerationSeconds = 300

// TolerationDefaults are the tolerationSeconds new pods get for the node
// lifecycle taints, as Kubernetes' DefaultTolerationSeconds admission
// plugin gives them (kube-apiserver's --default-not-ready-toleration-seconds
// and --default-unreachable-toleration-seconds). A negative value adds no
// toleration for that taint (its pods are evicted at once).
type TolerationDefaults struct {
	NotReadySeconds, UnreachableSeconds int64
}

// DefaultTolerations returns Kubernetes' defaults: 300 s for both taints.
func DefaultTolerations() TolerationDefaults {
	return TolerationDefaults{NotReadySeconds: DefaultTolerationSeconds, UnreachableSeconds: DefaultTolerationSeconds}
}

// DefaultPodTolerations adds to a pod being created a NoExecute toleration
// with d's seconds for each lifecycle taint it says nothing about. Only
// pods get them, on create, never templates: a Deployment's template stays
// as written, and so does its pod-template-hash.
func DefaultPodTolerations(o *gantryv1.Object, d TolerationDefaults) {
	pod := o.GetPod()
	if pod == nil || pod.GetSpec() == nil {
		return
	}
	for _, def := range []struct {
		key     string
		seconds int64
	}{{taints.NotReady, d.NotReadySeconds}, {taints.Unreachable, d.UnreachableSeconds}} {
		if def.seconds < 0 || taints.HasDefaultToleration(pod.Spec.Tolerations, def.key) {
			continue
		}
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, taints.DefaultToleration(def.key, def.seconds))
	}
}
