package admission

import gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"

// Probe defaults, as Kubernetes sets them.
const (
	defaultProbeTimeout  = 1
	defaultProbePeriod   = 10
	defaultProbeSuccess  = 1
	defaultProbeFailures = 3
)

func defaultPod(pod *gantryv1.Pod) {
	if pod == nil {
		return
	}
	if pod.Spec == nil {
		pod.Spec = &gantryv1.PodSpec{}
	}
	defaultPodSpec(pod.Spec)
}

// defaultPodSpec fills a pod spec, standalone or in a template; nil is
// left alone (a missing template is Validate's to report).
func defaultPodSpec(s *gantryv1.PodSpec) {
	if s == nil {
		return
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = "Always"
	}
	if s.SchedulerName == "" {
		s.SchedulerName = defaultSchedulerName
	}
	if s.TerminationGracePeriodSeconds == nil {
		grace := int64(defaultGracePeriodSeconds)
		s.TerminationGracePeriodSeconds = &grace
	}
	for _, c := range s.Containers {
		defaultContainer(c)
	}
}

func defaultContainer(c *gantryv1.Container) {
	if c == nil {
		return
	}
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = "IfNotPresent"
	}
	for _, port := range c.Ports {
		if port != nil && port.Protocol == "" {
			port.Protocol = "TCP"
		}
	}
	defaultProbe(c.LivenessProbe)
	defaultProbe(c.ReadinessProbe)
	defaultProbe(c.StartupProbe)
}

func defaultProbe(p *gantryv1.Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = defaultProbeTimeout
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = defaultProbePeriod
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = defaultProbeSuccess
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = defaultProbeFailures
	}
	if h := p.HttpGet; h != nil {
		if h.Scheme == "" {
			h.Scheme = "HTTP"
		}
		if h.Path == "" {
			h.Path = "/"
		}
	}
}
