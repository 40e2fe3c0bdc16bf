package queue

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/services/scheduler/framework"
)

// Config tunes the queue.
type Config struct {
	// InitialBackoff is the wait after a pod's first failed attempt; it
	// doubles with every further failure up to MaxBackoff.
	InitialBackoff, MaxBackoff time.Duration
	// UnschedulableTimeout is how long a pod waits in the unschedulable
	// pool before it is retried without any event; FlushInterval is how
	// often the pool is checked for such pods.
	UnschedulableTimeout, FlushInterval time.Duration
}

// DefaultConfig returns Kubernetes' backoff (1 s to 10 s) and a one-minute
// safety flush.
func DefaultConfig() Config {
	return Config{
		InitialBackoff:       time.Second,
		MaxBackoff:           10 * time.Second,
		UnschedulableTimeout: time.Minute,
		FlushInterval:        30 * time.Second,
	}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("queue: invalid config")

func (c Config) validate() error {
	if c.InitialBackoff <= 0 || c.MaxBackoff < c.InitialBackoff || c.UnschedulableTimeout <= 0 || c.FlushInterval <= 0 {
		return fmt.Errorf("%w: need 0 < InitialBackoff <= MaxBackoff and positive UnschedulableTimeout and FlushInterval: %+v", ErrConfig, c)
	}
	return nil
}

// QueuedPod is a pod in the queue with its scheduling history.
type QueuedPod struct {
	Info *framework.PodInfo
	// Attempts counts the scheduling attempts (Pops) so far.
	Attempts int
	// Added is when the pod first entered the queue.
	Added time.Time

	loc                location
	index              int
	seq                uint64
	backoffUntil       time.Time
	unschedulableSince time.Time
	rejectors          framework.PluginSet
}

type location int

const (
	nowhere location = iota
	inActive
	inBackoff
	inUnschedulable
)

// Event is a cluster change that may make unschedulable pods fit: it
// moves back those rejected by one of Plugins.
type Event struct {
	Name    string
	Plugins framework.PluginSet
}

// inFlight records what happened to a popped pod during its attempt.
type inFlight struct {
	// latest is a newer version of the pod that arrived meanwhile.
	latest *framework.PodInfo
	// changed: the pod's spec or labels changed; deleted: it is gone.
	changed, deleted bool
	// events are the plugins events turned around meanwhile.
	events framework.PluginSet
}
