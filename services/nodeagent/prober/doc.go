// Package prober owns the health probes of the containers on one node, as
// the kubelet's prober does: one worker goroutine per container and probe
// (liveness, readiness, startup) runs its exec, httpGet, tcpSocket or grpc
// check every periodSeconds, applies initialDelaySeconds, timeoutSeconds
// and the success and failure thresholds, and publishes a result per
// container run. The pod worker reads the results: a container is started
// once its startup probe succeeded, ready once its readiness probe
// succeeded, and killed when its liveness or startup probe failed.
//
// Results belong to one run of a container (its runtime id): a restarted
// container starts over — not started, not ready, initial delay from its
// own start. Probes reach only the pod's own address (its IP on the node's
// bridge, or loopback for pods on the host network); exec probes run
// through the runtime's Exec, in the container's network namespace with its
// environment. The clock is injected, so tests step time instead of
// sleeping.
package prober
