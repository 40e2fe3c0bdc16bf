package prober

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Kind is a probe's purpose.
type Kind int

// Probe kinds.
const (
	Liveness Kind = iota
	Readiness
	Startup
)

var kinds = []Kind{Liveness, Readiness, Startup}

func (k Kind) String() string {
	switch k {
	case Liveness:
		return "Liveness"
	case Readiness:
		return "Readiness"
	case Startup:
		return "Startup"
	}
	return "Unknown"
}

// of returns the container's probe of this kind, or nil.
func (k Kind) of(c *gantryv1.Container) *gantryv1.Probe {
	switch k {
	case Liveness:
		return c.GetLivenessProbe()
	case Readiness:
		return c.GetReadinessProbe()
	case Startup:
		return c.GetStartupProbe()
	}
	return nil
}

// result is one probe's outcome; unknown ones (the prober could not tell,
// e.g. the container exited under it) count neither way.
type result int8

const (
	unknown result = iota
	success
	failure
)

// Probe defaults, as Kubernetes sets them; admission applies them too, the
// prober only guards against zeros from clients that bypassed it.
const (
	defaultPeriod   = 10 * time.Second
	defaultTimeout  = time.Second
	defaultFailures = 3
)

// timing is a probe's schedule and thresholds with defaults applied.
type timing struct {
	initialDelay, period, timeout time.Duration
	successes, failures           int
}

func timingOf(k Kind, p *gantryv1.Probe) timing {
	t := timing{
		initialDelay: time.Duration(max(p.GetInitialDelaySeconds(), 0)) * time.Second,
		period:       time.Duration(p.GetPeriodSeconds()) * time.Second,
		timeout:      time.Duration(p.GetTimeoutSeconds()) * time.Second,
		successes:    int(p.GetSuccessThreshold()),
		failures:     int(p.GetFailureThreshold()),
	}
	if t.period <= 0 {
		t.period = defaultPeriod
	}
	if t.timeout <= 0 {
		t.timeout = defaultTimeout
	}
	// Liveness and startup need one success (admission enforces it).
	if t.successes <= 0 || k != Readiness {
		t.successes = 1
	}
	if t.failures <= 0 {
		t.failures = defaultFailures
	}
	return t
}
