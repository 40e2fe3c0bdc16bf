package admission

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
)

// ctr changes the pod's first container.
func ctr(mut func(*gantryv1.Container)) func(*gantryv1.Pod) {
	return func(p *gantryv1.Pod) { mut(p.Spec.Containers[0]) }
}

func spec(mut func(*gantryv1.PodSpec)) func(*gantryv1.Pod) {
	return func(p *gantryv1.Pod) { mut(p.Spec) }
}

func TestValidatePodSpec(t *testing.T) {
	runValidate(t, []wantCase{
		mk("no containers", validPod, spec(func(s *gantryv1.PodSpec) { s.Containers = nil }),
			"spec.containers", "must have at least one container"),
		mk("nil spec", validPod, func(p *gantryv1.Pod) { p.Spec = nil }, "spec.containers", "Required value"),
		mk("two containers", validPod, spec(func(s *gantryv1.PodSpec) {
			c := container()
			c.Name = "sidecar"
			c.Ports[0].Name = "metrics"
			s.Containers = append(s.Containers, c)
		}), "", ""),
		mk("duplicate container name", validPod, spec(func(s *gantryv1.PodSpec) { s.Containers = append(s.Containers, container()) }),
			"spec.containers[1].name", `Duplicate value: "web"`),
		mk("container name not a label", validPod, ctr(func(c *gantryv1.Container) { c.Name = "web.1" }),
			"spec.containers[0].name", "must not contain dots"),
		mk("container without name", validPod, ctr(func(c *gantryv1.Container) { c.Name = "" }),
			"spec.containers[0].name", "Required value"),
		mk("command instead of image", validPod, ctr(func(c *gantryv1.Container) { c.Image, c.Command = "", []string{"/bin/server"} }), "", ""),
		mk("neither image nor command", validPod, ctr(func(c *gantryv1.Container) { c.Image = "" }),
			"spec.containers[0].image", "image or command is required"),
		mk("restartPolicy Never", validPod, spec(func(s *gantryv1.PodSpec) { s.RestartPolicy = "Never" }), "", ""),
		mk("restartPolicy bad", validPod, spec(func(s *gantryv1.PodSpec) { s.RestartPolicy = "Sometimes" }),
			"spec.restartPolicy", `Unsupported value: "Sometimes"`),
		mk("imagePullPolicy bad", validPod, ctr(func(c *gantryv1.Container) { c.ImagePullPolicy = "Maybe" }),
			"spec.containers[0].imagePullPolicy", "Unsupported value"),
		mk("grace period zero", validPod, spec(func(s *gantryv1.PodSpec) { s.TerminationGracePeriodSeconds = i64(0) }), "", ""),
		mk("grace period negative", validPod, spec(func(s *gantryv1.PodSpec) { s.TerminationGracePeriodSeconds = i64(-1) }),
			"spec.terminationGracePeriodSeconds", "must be greater than or equal to 0"),
		mk("active deadline", validPod, spec(func(s *gantryv1.PodSpec) { s.ActiveDeadlineSeconds = i64(60) }), "", ""),
		mk("active deadline zero", validPod, spec(func(s *gantryv1.PodSpec) { s.ActiveDeadlineSeconds = i64(0) }),
			"spec.activeDeadlineSeconds", "must be between 1 and 2147483647"),
		mk("node selector", validPod, spec(func(s *gantryv1.PodSpec) { s.NodeSelector = map[string]string{"disk": "ssd"} }), "", ""),
		mk("node selector bad value", validPod, spec(func(s *gantryv1.PodSpec) { s.NodeSelector = map[string]string{"disk": "s s"} }),
			"spec.nodeSelector", `"s s"`),
		mk("node name", validPod, spec(func(s *gantryv1.PodSpec) { s.NodeName = "node-1.example" }), "", ""),
		mk("node name bad", validPod, spec(func(s *gantryv1.PodSpec) { s.NodeName = "Node_1" }),
			"spec.nodeName", "RFC 1123 subdomain"),
		mk("scheduler name bad", validPod, spec(func(s *gantryv1.PodSpec) { s.SchedulerName = "My Scheduler" }),
			"spec.schedulerName", "RFC 1123 subdomain"),
		mk("hostname bad", validPod, spec(func(s *gantryv1.PodSpec) { s.Hostname = "a.b" }), "spec.hostname", "must not contain dots"),
		mk("subdomain bad", validPod, spec(func(s *gantryv1.PodSpec) { s.Subdomain = "-x" }), "spec.subdomain", "RFC 1123 label"),
	})
}

func TestValidateContainerPorts(t *testing.T) {
	port := func(mut func(*gantryv1.ContainerPort)) func(*gantryv1.Pod) {
		return ctr(func(c *gantryv1.Container) { mut(c.Ports[0]) })
	}
	runValidate(t, []wantCase{
		mk("port 65535 UDP", validPod, port(func(p *gantryv1.ContainerPort) { p.ContainerPort, p.Protocol = 65535, "UDP" }), "", ""),
		mk("port without protocol", validPod, port(func(p *gantryv1.ContainerPort) { p.Protocol = "" }), "", ""),
		mk("containerPort missing", validPod, port(func(p *gantryv1.ContainerPort) { p.ContainerPort = 0 }),
			"spec.containers[0].ports[0].containerPort", "Required value"),
		mk("containerPort too big", validPod, port(func(p *gantryv1.ContainerPort) { p.ContainerPort = 65536 }),
			"spec.containers[0].ports[0].containerPort", "must be between 1 and 65535"),
		mk("containerPort negative", validPod, port(func(p *gantryv1.ContainerPort) { p.ContainerPort = -1 }),
			"spec.containers[0].ports[0].containerPort", "must be between 1 and 65535"),
		mk("hostPort", validPod, port(func(p *gantryv1.ContainerPort) { p.HostPort = 80 }), "", ""),
		mk("hostPort too big", validPod, port(func(p *gantryv1.ContainerPort) { p.HostPort = 70000 }),
			"spec.containers[0].ports[0].hostPort", "must be between 1 and 65535"),
		mk("hostIP bad", validPod, port(func(p *gantryv1.ContainerPort) { p.HostIp = "1.2.3" }),
			"spec.containers[0].ports[0].hostIP", "must be a valid IP address"),
		mk("protocol bad", validPod, port(func(p *gantryv1.ContainerPort) { p.Protocol = "HTTP" }),
			"spec.containers[0].ports[0].protocol", `Unsupported value: "HTTP"`),
		mk("port name bad", validPod, port(func(p *gantryv1.ContainerPort) { p.Name = "HTTP_port" }),
			"spec.containers[0].ports[0].name", "must contain only alpha-numeric characters"),
		mk("port name too long", validPod, port(func(p *gantryv1.ContainerPort) { p.Name = "a-very-long-port-name" }),
			"spec.containers[0].ports[0].name", "must be no more than 15 characters"),
		mk("port names duplicate", validPod, ctr(func(c *gantryv1.Container) {
			c.Ports = append(c.Ports, &gantryv1.ContainerPort{Name: "http", ContainerPort: 9090})
		}), "spec.containers[0].ports[1].name", `Duplicate value: "http"`),
		mk("host ports duplicate across containers", validPod, spec(func(s *gantryv1.PodSpec) {
			s.Containers[0].Ports[0].HostPort = 80
			c := container()
			c.Name = "other"
			c.Ports[0].HostPort = 80
			s.Containers = append(s.Containers, c)
		}), "spec.containers[1].ports[0].hostPort", "Duplicate value"),
		mk("same host port on TCP and UDP", validPod, ctr(func(c *gantryv1.Container) {
			c.Ports = []*gantryv1.ContainerPort{{ContainerPort: 53, HostPort: 53, Protocol: "TCP"}, {ContainerPort: 53, HostPort: 53, Protocol: "UDP"}}
		}), "", ""),
	})
}

func TestValidateEnv(t *testing.T) {
	env := func(e ...*gantryv1.EnvVar) func(*gantryv1.Pod) {
		return ctr(func(c *gantryv1.Container) { c.Env = e })
	}
	runValidate(t, []wantCase{
		mk("env from configmap", validPod, env(&gantryv1.EnvVar{Name: "A_B", ValueFrom: &gantryv1.EnvVarSource{
			ConfigMapKeyRef: &gantryv1.ConfigMapKeySelector{Name: "cfg", Key: "a.key"}}}), "", ""),
		mk("env from field", validPod, env(&gantryv1.EnvVar{Name: "POD", ValueFrom: &gantryv1.EnvVarSource{
			FieldRef: &gantryv1.ObjectFieldSelector{FieldPath: "metadata.name"}}}), "", ""),
		mk("env name bad", validPod, env(&gantryv1.EnvVar{Name: "1=A"}), "spec.containers[0].env[0].name", "environment variable name"),
		mk("env name empty", validPod, env(&gantryv1.EnvVar{Value: "x"}), "spec.containers[0].env[0].name", "Required value"),
		mk("env value and valueFrom", validPod, env(&gantryv1.EnvVar{Name: "A", Value: "x", ValueFrom: &gantryv1.EnvVarSource{
			FieldRef: &gantryv1.ObjectFieldSelector{FieldPath: "metadata.name"}}}),
			"spec.containers[0].env[0].valueFrom", "may not be specified when `value` is not empty"),
		mk("env valueFrom empty", validPod, env(&gantryv1.EnvVar{Name: "A", ValueFrom: &gantryv1.EnvVarSource{}}),
			"spec.containers[0].env[0].valueFrom", "must specify one of"),
		mk("env valueFrom two sources", validPod, env(&gantryv1.EnvVar{Name: "A", ValueFrom: &gantryv1.EnvVarSource{
			FieldRef:     &gantryv1.ObjectFieldSelector{FieldPath: "metadata.name"},
			SecretKeyRef: &gantryv1.SecretKeySelector{Name: "s", Key: "k"}}}),
			"spec.containers[0].env[0].valueFrom", "may not have more than one field specified at a time"),
		mk("secret key ref bad key", validPod, env(&gantryv1.EnvVar{Name: "A", ValueFrom: &gantryv1.EnvVarSource{
			SecretKeyRef: &gantryv1.SecretKeySelector{Name: "s", Key: "a/b"}}}),
			"spec.containers[0].env[0].valueFrom.secretKeyRef.key", "a valid config key"),
		mk("configmap ref without name", validPod, env(&gantryv1.EnvVar{Name: "A", ValueFrom: &gantryv1.EnvVarSource{
			ConfigMapKeyRef: &gantryv1.ConfigMapKeySelector{Key: "k"}}}),
			"spec.containers[0].env[0].valueFrom.configMapKeyRef.name", "Required value"),
		mk("field ref without path", validPod, env(&gantryv1.EnvVar{Name: "A", ValueFrom: &gantryv1.EnvVarSource{
			FieldRef: &gantryv1.ObjectFieldSelector{}}}),
			"spec.containers[0].env[0].valueFrom.fieldRef.fieldPath", "Required value"),
	})
}

func TestValidateResources(t *testing.T) {
	res := func(req, lim map[string]string) func(*gantryv1.Pod) {
		return ctr(func(c *gantryv1.Container) {
			c.Resources = &gantryv1.ResourceRequirements{Requests: req, Limits: lim}
		})
	}
	m := func(kv ...string) map[string]string {
		out := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	runValidate(t, []wantCase{
		mk("requests only", validPod, res(m("cpu", "1", "memory", "1Gi", "ephemeral-storage", "2Gi"), nil), "", ""),
		mk("requests equal limits", validPod, res(m("cpu", "500m"), m("cpu", "0.5")), "", ""),
		mk("extended resource", validPod, res(m("example.com/gpu", "1"), m("example.com/gpu", "1")), "", ""),
		mk("bad quantity", validPod, res(m("cpu", "lots"), nil),
			"spec.containers[0].resources.requests[cpu]", "quantities must match the regular expression"),
		mk("negative quantity", validPod, res(nil, m("memory", "-1Mi")),
			"spec.containers[0].resources.limits[memory]", "must be greater than or equal to 0"),
		mk("unknown standard name", validPod, res(m("gpu", "1"), nil),
			"spec.containers[0].resources.requests[gpu]", "must be a standard resource for containers"),
		mk("invalid resource name", validPod, res(m("a b/c", "1"), nil),
			"spec.containers[0].resources.requests[a b/c]", "prefix part a lowercase RFC 1123 subdomain"),
		mk("request over limit", validPod, res(m("cpu", "2"), m("cpu", "1")),
			"spec.containers[0].resources.requests[cpu]", "must be less than or equal to cpu limit of 1"),
		mk("memory request over limit", validPod, res(m("memory", "2Gi"), m("memory", "1Gi")),
			"spec.containers[0].resources.requests[memory]", "must be less than or equal to memory limit"),
		mk("fractional extended resource", validPod, res(m("example.com/gpu", "500m"), nil),
			"spec.containers[0].resources.requests[example.com/gpu]", "must be an integer"),
		mk("extended request below limit", validPod, res(m("example.com/gpu", "1"), m("example.com/gpu", "2")),
			"spec.containers[0].resources.requests[example.com/gpu]", "must be equal to example.com/gpu limit"),
	})
}

func TestValidateTolerations(t *testing.T) {
	tol := func(ts ...*gantryv1.Toleration) func(*gantryv1.Pod) {
		return spec(func(s *gantryv1.PodSpec) { s.Tolerations = ts })
	}
	runValidate(t, []wantCase{
		mk("equal", validPod, tol(&gantryv1.Toleration{Key: "dedicated", Operator: "Equal", Value: "db", Effect: "NoSchedule"}), "", ""),
		mk("default operator", validPod, tol(&gantryv1.Toleration{Key: "dedicated", Value: "db"}), "", ""),
		mk("exists all", validPod, tol(&gantryv1.Toleration{Operator: "Exists"}), "", ""),
		mk("noexecute with seconds", validPod, tol(&gantryv1.Toleration{Key: "node.kubernetes.io/unreachable", Operator: "Exists",
			Effect: "NoExecute", TolerationSeconds: i64(300)}), "", ""),
		mk("bad operator", validPod, tol(&gantryv1.Toleration{Key: "k", Operator: "In"}),
			"spec.tolerations[0].operator", `Unsupported value: "In"`),
		mk("exists with value", validPod, tol(&gantryv1.Toleration{Key: "k", Operator: "Exists", Value: "v"}),
			"spec.tolerations[0].value", "value must be empty when `operator` is 'Exists'"),
		mk("empty key with Equal", validPod, tol(&gantryv1.Toleration{Value: "v"}),
			"spec.tolerations[0].operator", "operator must be Exists when `key` is empty"),
		mk("bad key", validPod, tol(&gantryv1.Toleration{Key: "bad key", Operator: "Exists"}),
			"spec.tolerations[0].key", "name part must consist of alphanumeric characters"),
		mk("bad value", validPod, tol(&gantryv1.Toleration{Key: "k", Value: "a b"}),
			"spec.tolerations[0].value", "a valid label must be"),
		mk("bad effect", validPod, tol(&gantryv1.Toleration{Key: "k", Operator: "Exists", Effect: "Evict"}),
			"spec.tolerations[0].effect", `Unsupported value: "Evict"`),
		mk("seconds without NoExecute", validPod, tol(&gantryv1.Toleration{Key: "k", Operator: "Exists",
			Effect: "NoSchedule", TolerationSeconds: i64(5)}),
			"spec.tolerations[0].effect", "effect must be 'NoExecute' when `tolerationSeconds` is set"),
	})
}

func TestValidateProbes(t *testing.T) {
	live := func(p *gantryv1.Probe) func(*gantryv1.Pod) {
		return ctr(func(c *gantryv1.Container) { c.LivenessProbe = p })
	}
	ready := func(p *gantryv1.Probe) func(*gantryv1.Pod) {
		return ctr(func(c *gantryv1.Container) { c.ReadinessProbe = p })
	}
	exec := &gantryv1.ExecAction{Command: []string{"true"}}
	runValidate(t, []wantCase{
		mk("exec probe", validPod, live(&gantryv1.Probe{Exec: exec, PeriodSeconds: 5, SuccessThreshold: 1}), "", ""),
		mk("http probe numeric port", validPod, ready(&gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Port: "8080", Scheme: "HTTPS",
			HttpHeaders: []*gantryv1.HTTPHeader{{Name: "X-Probe", Value: "1"}}}, SuccessThreshold: 3}), "", ""),
		mk("no handler", validPod, live(&gantryv1.Probe{PeriodSeconds: 5}),
			"spec.containers[0].livenessProbe", "must specify a handler type"),
		mk("two handlers", validPod, live(&gantryv1.Probe{Exec: exec, TcpSocket: &gantryv1.TCPSocketAction{Port: "80"}}),
			"spec.containers[0].livenessProbe.tcpSocket", "may not specify more than 1 handler type"),
		mk("exec without command", validPod, live(&gantryv1.Probe{Exec: &gantryv1.ExecAction{}}),
			"spec.containers[0].livenessProbe.exec.command", "Required value"),
		mk("http port missing", validPod, ready(&gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: "/"}}),
			"spec.containers[0].readinessProbe.httpGet.port", "Required value"),
		mk("http port out of range", validPod, ready(&gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Port: "0"}}),
			"spec.containers[0].readinessProbe.httpGet.port", "must be between 1 and 65535"),
		mk("tcp port bad name", validPod, live(&gantryv1.Probe{TcpSocket: &gantryv1.TCPSocketAction{Port: "Not_A_Name"}}),
			"spec.containers[0].livenessProbe.tcpSocket.port", "must contain only alpha-numeric characters"),
		mk("huge numeric port is a bad name", validPod, live(&gantryv1.Probe{TcpSocket: &gantryv1.TCPSocketAction{Port: "99999999999"}}),
			"spec.containers[0].livenessProbe.tcpSocket.port", "must contain at least one letter"),
		mk("http scheme bad", validPod, ready(&gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Port: "80", Scheme: "FTP"}}),
			"spec.containers[0].readinessProbe.httpGet.scheme", "Unsupported value"),
		mk("http header bad", validPod, ready(&gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Port: "80",
			HttpHeaders: []*gantryv1.HTTPHeader{{Name: "Bad Header"}}}}),
			"spec.containers[0].readinessProbe.httpGet.httpHeaders[0].name", "a valid HTTP header"),
		mk("negative period", validPod, live(&gantryv1.Probe{Exec: exec, PeriodSeconds: -1}),
			"spec.containers[0].livenessProbe.periodSeconds", "must be greater than or equal to 0"),
		mk("negative failure threshold", validPod, live(&gantryv1.Probe{Exec: exec, FailureThreshold: -3}),
			"spec.containers[0].livenessProbe.failureThreshold", "must be greater than or equal to 0"),
		mk("liveness success threshold 2", validPod, live(&gantryv1.Probe{Exec: exec, SuccessThreshold: 2}),
			"spec.containers[0].livenessProbe.successThreshold", "must be 1"),
		mk("startup success threshold 2", validPod, ctr(func(c *gantryv1.Container) {
			c.StartupProbe = &gantryv1.Probe{Exec: exec, SuccessThreshold: 2}
		}), "spec.containers[0].startupProbe.successThreshold", "must be 1"),
		mk("grpc probe", validPod, live(&gantryv1.Probe{Grpc: &gantryv1.GRPCAction{Port: 9090, Service: proto.String("app")}}), "", ""),
		mk("grpc probe bad port", validPod, live(&gantryv1.Probe{Grpc: &gantryv1.GRPCAction{Port: 70000}}),
			"spec.containers[0].livenessProbe.grpc.port", "must be between 1 and 65535"),
		mk("grpc and exec", validPod, ready(&gantryv1.Probe{Exec: exec, Grpc: &gantryv1.GRPCAction{Port: 9090}}),
			"spec.containers[0].readinessProbe.grpc", "may not specify more than 1 handler type"),
		mk("negative initial delay", validPod, ready(&gantryv1.Probe{Exec: exec, InitialDelaySeconds: -1}),
			"spec.containers[0].readinessProbe.initialDelaySeconds", "must be greater than or equal to 0"),
		mk("negative timeout", validPod, ready(&gantryv1.Probe{Exec: exec, TimeoutSeconds: -1}),
			"spec.containers[0].readinessProbe.timeoutSeconds", "must be greater than or equal to 0"),
		mk("probe grace period", validPod, live(&gantryv1.Probe{Exec: exec, TerminationGracePeriodSeconds: i64(10)}), "", ""),
		mk("probe grace period zero", validPod, live(&gantryv1.Probe{Exec: exec, TerminationGracePeriodSeconds: i64(0)}),
			"spec.containers[0].livenessProbe.terminationGracePeriodSeconds", "must be greater than 0"),
		mk("readiness probe grace period", validPod, ready(&gantryv1.Probe{Exec: exec, TerminationGracePeriodSeconds: i64(10)}),
			"spec.containers[0].readinessProbe.terminationGracePeriodSeconds", "must not be set for readinessProbes"),
	})
}
