package podworker

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/nodeagent/admit"
	"github.com/gantryio/gantry/services/nodeagent/prober"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"k8s.io/utils/clock"
)

// Config configures the pod workers of one node.
type Config struct {
	// NodeName is the node the pods are bound to.
	NodeName string
	// HostIP is the node's address: status.hostIP, and status.podIP of
	// pods without an address of their own.
	HostIP string
	// BackoffInitial and BackoffMax bound the delay before restarting a
	// container that keeps exiting (Kubernetes: 10 s doubling to 5 min).
	BackoffInitial, BackoffMax time.Duration
	// RetryDelay spaces retries of failed runtime and API operations.
	RetryDelay time.Duration
	// OrphanGrace is the grace given to containers of pods that no longer
	// exist in the API.
	OrphanGrace time.Duration
	// Clock drives back-off and retries.
	Clock clock.WithTicker
}

// DefaultConfig returns the defaults without a node.
func DefaultConfig() Config {
	return Config{BackoffInitial: 10 * time.Second, BackoffMax: 5 * time.Minute, RetryDelay: time.Second,
		OrphanGrace: 2 * time.Second, Clock: clock.RealClock{}}
}

// StatusSink receives pod statuses to write.
type StatusSink interface {
	Set(pod *gantryv1.Pod)
	Forget(namespace, name string)
}

// Deleter removes a stopped pod from the API: Delete with grace 0 and the
// uid as precondition. A pod already gone (or replaced) is not an error.
type Deleter interface {
	DeletePod(ctx context.Context, namespace, name, uid string) error
}

// Admitter decides whether a pod fits the node.
type Admitter interface {
	Admit(pod *gantryv1.Pod) admit.Result
	Force(pod *gantryv1.Pod)
	Release(uid string)
}

// Prober runs the containers' health probes and says what they found.
type Prober interface {
	// Sync hands over the pod's containers and their latest runs.
	Sync(pod prober.Pod)
	// Remove stops the pod's probes.
	Remove(uid string)
	// Status is what the probes say of one run of a container.
	Status(uid, container, runID string) prober.Status
}

// ServiceEnv gives the variables of the Services a pod's containers see
// (WEB_SERVICE_HOST, ...), read when a container starts.
type ServiceEnv interface {
	Vars(ctx context.Context, pod *gantryv1.Pod) ([]*gantryv1.EnvVar, error)
}

// Deps are the manager's collaborators.
type Deps struct {
	Runtime  runtime.Runtime
	Status   StatusSink
	Deleter  Deleter
	Admitter Admitter
	// Prober, when set, probes containers: readiness decides their ready
	// flag, liveness and startup failures kill them. Nil: no probes run,
	// containers are started and ready once running (simulated nodes).
	Prober Prober
	// Recorder records the pods' container events (Created, Started,
	// Killing, BackOff, Failed); nil records none.
	Recorder events.Recorder
	// ServiceEnv, when set, gives containers their Service variables.
	// Nil: none (simulated nodes run nothing that would read them).
	ServiceEnv ServiceEnv
}
