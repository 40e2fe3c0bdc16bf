package manifest

import (
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
)

// TestKubernetesSpellings checks that what Kubernetes users write decodes to
// what they mean.
func TestKubernetesSpellings(t *testing.T) {
	cpuRequest := func(o *gantryv1.Object) any { return firstContainer(o).GetResources().GetRequests()["cpu"] }
	memLimit := func(o *gantryv1.Object) any { return firstContainer(o).GetResources().GetLimits()["memory"] }
	rolling := func(o *gantryv1.Object) *gantryv1.RollingUpdateDeployment {
		return o.GetDeployment().GetSpec().GetStrategy().GetRollingUpdate()
	}
	deployment := func(strategy string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n" + indent(strategy, "      ")
	}
	service := func(ports string) string {
		return "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n" + indent(ports, "  ")
	}
	servicePort := func(o *gantryv1.Object) *gantryv1.ServicePort { return o.GetService().GetSpec().GetPorts()[0] }

	tests := []struct {
		name string
		yaml string
		get  func(*gantryv1.Object) any
		want any
	}{
		// Quantities.
		{"cpu integer", container("resources:\n  requests:\n    cpu: 1"), cpuRequest, "1"},
		{"cpu millis string", container("resources:\n  requests:\n    cpu: \"500m\""), cpuRequest, "500m"},
		{"cpu millis plain", container("resources:\n  requests:\n    cpu: 500m"), cpuRequest, "500m"},
		{"cpu float", container("resources:\n  requests:\n    cpu: 0.5"), cpuRequest, "500m"},
		{"cpu float one", container("resources:\n  requests:\n    cpu: 1.0"), cpuRequest, "1"},
		{"cpu small float", container("resources:\n  requests:\n    cpu: 0.001"), cpuRequest, "1m"},
		{"cpu exponent, canonical as in Kubernetes", container("resources:\n  requests:\n    cpu: 1e3"), cpuRequest, "1e3"},
		{"cpu string kept as written", container("resources:\n  requests:\n    cpu: \"1000m\""), cpuRequest, "1000m"},
		{"memory binary suffix", container("resources:\n  limits:\n    memory: 64Mi"), memLimit, "64Mi"},
		{"memory bytes integer", container("resources:\n  limits:\n    memory: 1073741824"), memLimit, "1073741824"},
		{"memory decimal suffix", container("resources:\n  limits:\n    memory: 1G"), memLimit, "1G"},
		{"extended resource key", container("resources:\n  limits:\n    nvidia.com/gpu: 1"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetResources().GetLimits()["nvidia.com/gpu"] }, "1"},
		{"empty resources", container("resources: {}"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetResources() != nil }, true},

		// IntOrString.
		{"maxSurge percent", deployment("maxSurge: 25%"), func(o *gantryv1.Object) any { return rolling(o).GetMaxSurge() }, "25%"},
		{"maxSurge quoted percent", deployment("maxSurge: \"25%\""), func(o *gantryv1.Object) any { return rolling(o).GetMaxSurge() }, "25%"},
		{"maxSurge integer", deployment("maxSurge: 1"), func(o *gantryv1.Object) any { return rolling(o).GetMaxSurge() }, "1"},
		{"maxUnavailable zero", deployment("maxUnavailable: 0"), func(o *gantryv1.Object) any { return rolling(o).GetMaxUnavailable() }, "0"},
		{"maxUnavailable percent", deployment("maxUnavailable: 10%"), func(o *gantryv1.Object) any { return rolling(o).GetMaxUnavailable() }, "10%"},
		{"targetPort number", service("- port: 80\n  targetPort: 8080"), func(o *gantryv1.Object) any { return servicePort(o).GetTargetPort() }, "8080"},
		{"targetPort name", service("- port: 80\n  targetPort: http"), func(o *gantryv1.Object) any { return servicePort(o).GetTargetPort() }, "http"},
		{"httpGet port number", container("livenessProbe:\n  httpGet:\n    path: /\n    port: 8080"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetLivenessProbe().GetHttpGet().GetPort() }, "8080"},
		{"httpGet port name", container("readinessProbe:\n  httpGet:\n    port: http\n    httpHeaders:\n    - name: X\n      value: y"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetReadinessProbe().GetHttpGet().GetPort() }, "http"},
		{"tcpSocket port", container("startupProbe:\n  tcpSocket:\n    port: 5432\n  periodSeconds: 2"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetStartupProbe().GetTcpSocket().GetPort() }, "5432"},
		{"exec probe", container("livenessProbe:\n  exec:\n    command: [cat, /tmp/ok]"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetLivenessProbe().GetExec().GetCommand()[1] }, "/tmp/ok"},

		// Integers.
		{"containerPort", container("ports:\n- containerPort: 80\n  hostIP: 10.0.0.1"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetPorts()[0].GetContainerPort() }, int32(80)},
		{"hostIP json name", container("ports:\n- containerPort: 80\n  hostIP: 10.0.0.1"),
			func(o *gantryv1.Object) any { return firstContainer(o).GetPorts()[0].GetHostIp() }, "10.0.0.1"},
		{"service port and nodePort", service("- port: 80\n  nodePort: 30080"),
			func(o *gantryv1.Object) any { return servicePort(o).GetNodePort() }, int32(30080)},
		{"int64 number", podHead + "  terminationGracePeriodSeconds: 30\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetSpec().GetTerminationGracePeriodSeconds() }, int64(30)},
		{"int64 string as protojson writes it", podHead + "  activeDeadlineSeconds: \"600\"\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetSpec().GetActiveDeadlineSeconds() }, int64(600)},
		{"optional int32 zero is set", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 0\n",
			func(o *gantryv1.Object) any { return o.GetDeployment().GetSpec().Replicas != nil }, true},
		{"toleration seconds", podHead + "  tolerations:\n  - key: k\n    operator: Exists\n    effect: NoExecute\n    tolerationSeconds: 300\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetSpec().GetTolerations()[0].GetTolerationSeconds() }, int64(300)},

		// Kubernetes enums, strings in Gantry's protos.
		{"restartPolicy", podHead + "  restartPolicy: OnFailure\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetSpec().GetRestartPolicy() }, "OnFailure"},
		{"service type", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: NodePort\n  clusterIP: None\n",
			func(o *gantryv1.Object) any { return o.GetService().GetSpec().GetType() }, "NodePort"},
		{"clusterIP json name", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  clusterIP: None\n",
			func(o *gantryv1.Object) any { return o.GetService().GetSpec().GetClusterIp() }, "None"},
		{"protocol", service("- port: 53\n  protocol: UDP"), func(o *gantryv1.Object) any { return servicePort(o).GetProtocol() }, "UDP"},
		{"taint effect", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec:\n  podCIDR: 10.1.0.0/24\n  taints:\n  - key: k\n    effect: NoSchedule\n",
			func(o *gantryv1.Object) any { return o.GetNode().GetSpec().GetTaints()[0].GetEffect() }, "NoSchedule"},
		{"toleration operator", podHead + "  tolerations:\n  - operator: Exists\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetSpec().GetTolerations()[0].GetOperator() }, "Exists"},
		{"selector expression operator", "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r}\nspec:\n  selector:\n    matchExpressions:\n    - {key: app, operator: In, values: [web]}\n",
			func(o *gantryv1.Object) any {
				return o.GetReplicaSet().GetSpec().GetSelector().GetMatchExpressions()[0].GetOperator()
			}, "In"},

		// Booleans.
		{"bool", podHead + "  hostNetwork: true\n", func(o *gantryv1.Object) any { return o.GetPod().GetSpec().GetHostNetwork() }, true},
		{"bool YAML 1.1 yes", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  paused: yes\n",
			func(o *gantryv1.Object) any { return o.GetDeployment().GetSpec().GetPaused() }, true},
		{"bool YAML 1.1 on", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: on\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetImmutable() }, true},
		{"bool YAML 1.1 no", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: no\n",
			func(o *gantryv1.Object) any {
				return o.GetConfigMap().Immutable != nil && !o.GetConfigMap().GetImmutable()
			}, true},
		{"string yes stays a string", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  enabled: yes\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetData()["enabled"] }, "yes"},

		// Secrets and ConfigMaps.
		{"secret data base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata:\n  password: aHVudGVyMg==\n",
			func(o *gantryv1.Object) any { return string(o.GetSecret().GetData()["password"]) }, "hunter2"},
		{"secret data unpadded base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  k: YQ\n",
			func(o *gantryv1.Object) any { return string(o.GetSecret().GetData()["k"]) }, "a"},
		{"secret data !!binary", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  k: !!binary |\n    aHVudG\n    VyMg==\n",
			func(o *gantryv1.Object) any { return string(o.GetSecret().GetData()["k"]) }, "hunter2"},
		{"secret stringData", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  user: admin\n",
			func(o *gantryv1.Object) any { return o.GetSecret().GetStringData()["user"] }, "admin"},
		{"secret type", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\n",
			func(o *gantryv1.Object) any { return o.GetSecret().GetType() }, "kubernetes.io/tls"},
		{"configmap binaryData", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nbinaryData:\n  b: AAEC\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetBinaryData()["b"] }, []byte{0, 1, 2}},
		{"configmap block scalar", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  f: |\n    line1\n    line2\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetData()["f"] }, "line1\nline2\n"},
		{"null map value is empty", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  empty:\n",
			func(o *gantryv1.Object) any { v, ok := o.GetConfigMap().GetData()["empty"]; return ok && v == "" }, true},

		// Metadata.
		{"labels with prefixes", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    app.kubernetes.io/name: web\n",
			func(o *gantryv1.Object) any {
				return o.GetConfigMap().GetMetadata().GetLabels()["app.kubernetes.io/name"]
			}, "web"},
		{"annotations", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    note: \"1.0\"\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetMetadata().GetAnnotations()["note"] }, "1.0"},
		{"creationTimestamp null", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  creationTimestamp: null\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetMetadata().GetCreationTimestamp() == nil }, true},
		{"timestamp", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  creationTimestamp: 2024-05-06T07:08:09Z\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetMetadata().GetCreationTimestamp().AsTime() },
			time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{"ownerReferences", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: ReplicaSet\n    name: r\n    uid: u1\n    controller: true\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetMetadata().GetOwnerReferences()[0].GetController() }, true},
		{"generateName", "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: job-\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetMetadata().GetGenerateName() }, "job-"},

		// Other kinds and API groups.
		{"endpointslice", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints:\n- addresses: [10.0.0.1]\n  conditions: {ready: true}\nports:\n- port: 80\n  name: http\n",
			func(o *gantryv1.Object) any { return o.GetEndpointSlice().GetPorts()[0].GetPort() }, int32(80)},
		{"lease", "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\nspec:\n  holderIdentity: a\n  leaseDurationSeconds: 15\n  renewTime: \"2024-01-01T00:00:00.123456Z\"\n",
			func(o *gantryv1.Object) any { return o.GetLease().GetSpec().GetRenewTime().GetNanos() }, int32(123456000)},
		{"namespace", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n",
			func(o *gantryv1.Object) any { return o.GetNamespace().GetMetadata().GetName() }, "team"},
		{"event", "apiVersion: v1\nkind: Event\nmetadata: {name: e}\ninvolvedObject: {kind: Pod, name: p}\nreason: Started\ncount: 2\ntype: Normal\n",
			func(o *gantryv1.Object) any { return o.GetEvent().GetCount() }, int32(2)},

		{"ingress", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  ingressClassName: nginx\n  tls:\n  - hosts: [a.example]\n    secretName: tls\n  rules:\n  - host: a.example\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n",
			func(o *gantryv1.Object) any {
				return o.GetIngress().GetSpec().GetRules()[0].GetHttp().GetPaths()[0].GetBackend().GetService().GetPort().GetNumber()
			}, int32(80)},
		{"enableServiceLinks", podHead + "  enableServiceLinks: false\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetSpec().EnableServiceLinks != nil }, true},

		// YAML features.
		{"anchors and aliases", podHead + "  containers:\n  - &c {name: a, image: busybox}\n  - *c\n",
			func(o *gantryv1.Object) any { return o.GetPod().GetSpec().GetContainers()[1].GetName() }, "a"},
		{"merge keys", podHead + "  containers:\n  - &c {name: a, image: busybox}\n  - <<: *c\n    name: b\n",
			func(o *gantryv1.Object) any {
				c := o.GetPod().GetSpec().GetContainers()[1]
				return c.GetName() + " " + c.GetImage()
			}, "b busybox"},
		{"flow style", "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetData()["a"] }, "b"},
		{"explicit document end", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n...\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetMetadata().GetName() }, "c"},
		{"byte order mark and CRLF", "\ufeffapiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: c\r\n",
			func(o *gantryv1.Object) any { return o.GetConfigMap().GetMetadata().GetName() }, "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.get(decodeOne(t, tt.yaml))
			if b, ok := tt.want.([]byte); ok {
				if string(got.([]byte)) != string(b) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestJSONSpellings checks the same spellings in JSON, which has its own
// parser.
func TestJSONSpellings(t *testing.T) {
	src := `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {"name": "web", "labels": {"app": "web"}},
  "spec": {
    "replicas": 2,
    "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
    "template": {"spec": {
      "terminationGracePeriodSeconds": 10,
      "containers": [{
        "name": "web", "image": "nginx",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": 0.25, "memory": "64Mi"}, "limits": {"cpu": 2}},
        "livenessProbe": {"httpGet": {"port": 80}}
      }]
    }}
  }
}`
	o := decodeOne(t, src)
	spec := o.GetDeployment().GetSpec()
	c := spec.GetTemplate().GetSpec().GetContainers()[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"replicas", spec.GetReplicas(), int32(2)},
		{"maxSurge", spec.GetStrategy().GetRollingUpdate().GetMaxSurge(), "25%"},
		{"maxUnavailable", spec.GetStrategy().GetRollingUpdate().GetMaxUnavailable(), "1"},
		{"grace", spec.GetTemplate().GetSpec().GetTerminationGracePeriodSeconds(), int64(10)},
		{"containerPort", c.GetPorts()[0].GetContainerPort(), int32(80)},
		{"cpu request", c.GetResources().GetRequests()["cpu"], "250m"},
		{"cpu limit", c.GetResources().GetLimits()["cpu"], "2"},
		{"probe port", c.GetLivenessProbe().GetHttpGet().GetPort(), "80"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestTestdata(t *testing.T) {
	got, warnings, err := ReadPaths([]string{"testdata"}, nil, false, DefaultOptions())
	if err != nil || len(warnings) > 0 {
		t.Fatalf("ReadPaths: %v %v", err, warnings)
	}
	var names []string
	for _, d := range got {
		names = append(names, d.Source+" "+objectLabel(d.Object))
	}
	want := []string{
		"testdata/app.json Secret prod/web-secret",
		"testdata/app.json Pod prod/debug",
		"testdata/configmap.yaml ConfigMap prod/web-config",
		"testdata/deployment.yaml Deployment prod/web",
		"testdata/service.yaml Service prod/web",
	}
	if len(names) != len(want) {
		t.Fatalf("got %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("object %d: got %q, want %q", i, names[i], want[i])
		}
	}
	dep := got[3].Object.GetDeployment()
	c := dep.GetSpec().GetTemplate().GetSpec().GetContainers()[0]
	want2 := &gantryv1.ResourceRequirements{
		Requests: map[string]string{"cpu": "500m", "memory": "64Mi"},
		Limits:   map[string]string{"cpu": "1", "memory": "128Mi"},
	}
	if !proto.Equal(c.GetResources(), want2) {
		t.Errorf("resources: got %v, want %v", c.GetResources(), want2)
	}
	if got[3].Line != 2 || got[3].Doc != 1 {
		t.Errorf("deployment at doc %d line %d, want doc 1 line 2", got[3].Doc, got[3].Line)
	}
	if got[1].Line != 13 {
		t.Errorf("pod in the JSON List at line %d, want 13", got[1].Line)
	}
}

func objectLabel(o *gantryv1.Object) string {
	b, err := Encode(o, FormatJSON)
	if err != nil {
		return err.Error()
	}
	n := decodeNode(b)
	kind, _ := stringEntry(n, "kind")
	return objectName(kind, n)
}

func decodeNode(b []byte) *node {
	n, err := newJSONConverter(b, DefaultOptions()).next()
	if err != nil {
		return &node{}
	}
	return n
}
