package admission

import gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"

// Default values, as Kubernetes sets them.
const (
	defaultSchedulerName        = "default-scheduler"
	defaultGracePeriodSeconds   = 30
	defaultReplicas             = 1
	defaultRevisionHistoryLimit = 10
	defaultProgressDeadline     = 600
	defaultMaxSurge             = "25%"
	defaultMaxUnavailable       = "25%"
	defaultSecretType           = "Opaque"
)

// Default fills Kubernetes' defaults into o in place. It only sets fields
// that are empty, so it is idempotent, and it never fails: whatever it
// cannot make sense of is left for Validate to report.
func Default(o *gantryv1.Object) {
	switch k := o.GetKind().(type) {
	case *gantryv1.Object_Namespace:
		defaultNamespace(k.Namespace)
	case *gantryv1.Object_Pod:
		defaultPod(k.Pod)
	case *gantryv1.Object_ReplicaSet:
		defaultReplicaSet(k.ReplicaSet)
	case *gantryv1.Object_Deployment:
		defaultDeployment(k.Deployment)
	case *gantryv1.Object_Service:
		defaultService(k.Service)
	case *gantryv1.Object_EndpointSlice:
		defaultEndpointSlice(k.EndpointSlice)
	case *gantryv1.Object_Secret:
		defaultSecret(k.Secret)
	}
}

func defaultNamespace(ns *gantryv1.Namespace) {
	if ns == nil {
		return
	}
	if ns.Status == nil {
		ns.Status = &gantryv1.NamespaceStatus{}
	}
	if ns.Status.Phase == "" {
		ns.Status.Phase = "Active"
	}
}

func defaultReplicaSet(rs *gantryv1.ReplicaSet) {
	if rs == nil {
		return
	}
	if rs.Spec == nil {
		rs.Spec = &gantryv1.ReplicaSetSpec{}
	}
	rs.Spec.Replicas = orDefault(rs.Spec.Replicas, defaultReplicas)
	defaultPodSpec(rs.Spec.GetTemplate().GetSpec())
}

func defaultDeployment(d *gantryv1.Deployment) {
	if d == nil {
		return
	}
	if d.Spec == nil {
		d.Spec = &gantryv1.DeploymentSpec{}
	}
	s := d.Spec
	s.Replicas = orDefault(s.Replicas, defaultReplicas)
	s.RevisionHistoryLimit = orDefault(s.RevisionHistoryLimit, defaultRevisionHistoryLimit)
	s.ProgressDeadlineSeconds = orDefault(s.ProgressDeadlineSeconds, defaultProgressDeadline)
	defaultStrategy(s)
	defaultPodSpec(s.GetTemplate().GetSpec())
}

// defaultStrategy fills a rolling update's bounds. Recreate gets none: it
// must not carry rollingUpdate at all.
func defaultStrategy(s *gantryv1.DeploymentSpec) {
	if s.Strategy == nil {
		s.Strategy = &gantryv1.DeploymentStrategy{}
	}
	if s.Strategy.Type == "" {
		s.Strategy.Type = "RollingUpdate"
	}
	if s.Strategy.Type != "RollingUpdate" {
		return
	}
	if s.Strategy.RollingUpdate == nil {
		s.Strategy.RollingUpdate = &gantryv1.RollingUpdateDeployment{}
	}
	ru := s.Strategy.RollingUpdate
	if ru.MaxSurge == "" {
		ru.MaxSurge = defaultMaxSurge
	}
	if ru.MaxUnavailable == "" {
		ru.MaxUnavailable = defaultMaxUnavailable
	}
}

func defaultService(svc *gantryv1.Service) {
	if svc == nil {
		return
	}
	if svc.Spec == nil {
		svc.Spec = &gantryv1.ServiceSpec{}
	}
	s := svc.Spec
	if s.Type == "" {
		s.Type = serviceTypeClusterIP
	}
	if s.SessionAffinity == "" {
		s.SessionAffinity = "None"
	}
	// clusterIPs repeats clusterIP; either one alone asks for the address.
	if s.ClusterIp == "" && len(s.ClusterIps) > 0 {
		s.ClusterIp = s.ClusterIps[0]
	}
	for _, port := range s.Ports {
		if port == nil {
			continue
		}
		if port.Protocol == "" {
			port.Protocol = "TCP"
		}
		// An unset target port means "the same port on the pod".
		if port.TargetPort == "" && port.Port != 0 {
			port.TargetPort = itoa32(port.Port)
		}
	}
}

func defaultEndpointSlice(es *gantryv1.EndpointSlice) {
	if es == nil {
		return
	}
	if es.AddressType == "" {
		es.AddressType = addressTypeIPv4
	}
	for _, port := range es.Ports {
		if port != nil && port.Protocol == nil {
			tcp := "TCP"
			port.Protocol = &tcp
		}
	}
}

// defaultSecret folds the write-only stringData into data, stringData
// winning as in Kubernetes, so only data is ever stored.
func defaultSecret(s *gantryv1.Secret) {
	if s == nil {
		return
	}
	if len(s.StringData) > 0 {
		if s.Data == nil {
			s.Data = make(map[string][]byte, len(s.StringData))
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
	}
	s.StringData = nil
	if s.Type == "" {
		s.Type = defaultSecretType
	}
}

// orDefault returns p, or a pointer to def when p is unset.
func orDefault(p *int32, def int32) *int32 {
	if p != nil {
		return p
	}
	return &def
}
