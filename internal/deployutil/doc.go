// Package deployutil owns what clients and the Deployment controller must
// agree on about a Deployment's history: the revision annotations and
// labels Kubernetes names, the condition types and reasons the controller
// writes, how a template is compared ignoring its pod-template-hash, and
// the client-side rollback (kubectl rollout undo): pick the ReplicaSet of
// a revision and copy its template back into the Deployment.
//
// It is pure: no I/O, no clocks. services/controller/deployment writes the
// annotations and conditions; internal/ctl reads them.
package deployutil
