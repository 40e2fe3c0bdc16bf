package deployutil

import (
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Annotations and labels, as Kubernetes names them.
const (
	// RevisionAnnotation is the revision of a ReplicaSet, and on a
	// Deployment the revision of its new ReplicaSet.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists earlier revisions of a ReplicaSet
	// that a rollback moved; it is never copied between objects.
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is the Deployment's replicas when the
	// ReplicaSet was last scaled.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is replicas+maxSurge when the ReplicaSet was
	// last scaled (proportional scaling uses it).
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
	// ChangeCauseAnnotation says why a revision was made; rollout history
	// prints it.
	ChangeCauseAnnotation = "kubernetes.io/change-cause"
	// LastAppliedAnnotation is apply's record of the last manifest.
	LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
	// RestartedAtAnnotation on a pod template makes rollout restart a new
	// template, and so a new rollout.
	RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
	// PodTemplateHashLabel tells the ReplicaSets of one Deployment apart.
	PodTemplateHashLabel = "pod-template-hash"
)

// Revision returns the revision recorded on a Deployment or ReplicaSet
// (0 when it has none or it does not parse).
func Revision(m *gantryv1.ObjectMeta) int64 {
	v, err := strconv.ParseInt(m.GetAnnotations()[RevisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return v
}
