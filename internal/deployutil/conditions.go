package deployutil

import gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"

// Condition types and reasons of a Deployment's status, as Kubernetes
// names them.
const (
	CondAvailable      = "Available"
	CondProgressing    = "Progressing"
	CondReplicaFailure = "ReplicaFailure"

	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
	ReasonNewRSCreated               = "NewReplicaSetCreated"
	ReasonFoundNewRS                 = "FoundNewReplicaSet"
	ReasonNewRSAvailable             = "NewReplicaSetAvailable"
	ReasonReplicaSetUpdated          = "ReplicaSetUpdated"
	ReasonProgressDeadlineExceeded   = "ProgressDeadlineExceeded"
	ReasonPaused                     = "DeploymentPaused"
	ReasonResumed                    = "DeploymentResumed"
)

// Condition returns the condition of type typ in conds, or nil.
func Condition(conds []*gantryv1.Condition, typ string) *gantryv1.Condition {
	for _, c := range conds {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}
