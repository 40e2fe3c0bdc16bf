package endpointslice

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const ns = "default"

type fixture struct {
	t *testing.T
	w *ctrltest.World
	c *Controller
}

func newFixture(t *testing.T, mutate ...func(*Config)) *fixture {
	t.Helper()
	w := ctrltest.NewWorld()
	cfg := DefaultConfig()
	cfg.SliceChangeDelay = 0
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg, Deps{
		Client: w, Services: w.Cache(apimeta.KindService), Pods: w.Cache(apimeta.KindPod),
		Slices: w.Cache(apimeta.KindEndpointSlice), Clock: w.Clock,
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.queue.ShutDown)
	return &fixture{t: t, w: w, c: c}
}

// sync reconciles key, fails the test on error, and lets the caches see
// the writes.
func (f *fixture) sync(key string) {
	f.t.Helper()
	if err := f.c.Reconcile(context.Background(), key); err != nil {
		f.t.Fatalf("reconcile %s: %v", key, err)
	}
	f.w.Sync()
}

// writes returns the EndpointSlice writes since the last call.
func (f *fixture) writes() (creates, updates, deletes int) {
	creates = f.w.Count("create", apimeta.KindEndpointSlice)
	updates = f.w.Count("update", apimeta.KindEndpointSlice)
	deletes = f.w.Count("delete", apimeta.KindEndpointSlice)
	f.w.ResetActions()
	return creates, updates, deletes
}

func (f *fixture) expectWrites(creates, updates, deletes int) {
	f.t.Helper()
	c, u, d := f.writes()
	if c != creates || u != updates || d != deletes {
		f.t.Fatalf("writes: %d creates, %d updates, %d deletes; want %d, %d, %d", c, u, d, creates, updates, deletes)
	}
}

func svcPort(name string, port int32, target string) *gantryv1.ServicePort {
	return &gantryv1.ServicePort{Name: name, Protocol: "TCP", Port: port, TargetPort: target}
}

func newService(name string, selector map[string]string, ports ...*gantryv1.ServicePort) *gantryv1.Service {
	return &gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"team": "a"}},
		Spec:     &gantryv1.ServiceSpec{Selector: selector, Ports: ports, ClusterIp: "10.96.0.10"},
	}
}

func (f *fixture) seedService(s *gantryv1.Service) *gantryv1.Service {
	f.t.Helper()
	return f.w.Seed(apimeta.Wrap(s))[0].GetService()
}

// podOpts describe a seeded pod; the zero value is a ready pod with an IP
// on node n1 labelled app=web.
type podOpts struct {
	labels    map[string]string
	node, ip  string
	notReady  bool
	phase     string
	deleting  bool
	ports     []*gantryv1.ContainerPort
	hostname  string
	subdomain string
	noIP      bool
	noNode    bool
}

// podIP derives a pod's address from its name (uniqueness does not
// matter: endpoints are told apart by pod uid).
func podIP(name string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	v := h.Sum32()
	return fmt.Sprintf("10.%d.%d.%d", byte(v>>16), byte(v>>8), byte(v)|1)
}

func buildPod(name string, o podOpts) *gantryv1.Pod {
	if o.labels == nil {
		o.labels = map[string]string{"app": "web"}
	}
	if o.node == "" && !o.noNode {
		o.node = "n1"
	}
	if o.ip == "" && !o.noIP {
		o.ip = podIP(name)
	}
	if o.phase == "" {
		o.phase = "Running"
	}
	if o.ports == nil {
		o.ports = []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: "TCP"}}
	}
	p := &gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: ns, Labels: o.labels},
		Spec: &gantryv1.PodSpec{NodeName: o.node, Hostname: o.hostname, Subdomain: o.subdomain,
			Containers: []*gantryv1.Container{{Name: "c", Image: "img", Ports: o.ports}}},
		Status: &gantryv1.PodStatus{Phase: o.phase, PodIp: o.ip},
	}
	ready := "True"
	if o.notReady {
		ready = "False"
	}
	p.Status.Conditions = []*gantryv1.Condition{{Type: "Ready", Status: ready}}
	if o.deleting {
		p.Metadata.DeletionTimestamp = timestamppb.Now()
	}
	return p
}

func (f *fixture) seedPods(o podOpts, names ...string) {
	f.t.Helper()
	objs := make([]*gantryv1.Object, len(names))
	for i, n := range names {
		objs[i] = apimeta.Wrap(buildPod(n, o))
	}
	f.w.Seed(objs...)
}

func (f *fixture) mutatePod(name string, fn func(p *gantryv1.Pod)) {
	f.t.Helper()
	if f.w.Mutate(apimeta.KindPod, ns, name, func(o *gantryv1.Object) { fn(o.GetPod()) }) == nil {
		f.t.Fatalf("no pod %s", name)
	}
	f.w.Sync()
}

func (f *fixture) deletePods(names ...string) {
	f.t.Helper()
	for _, n := range names {
		f.w.FinishPodDeletion(ns, n)
	}
	f.w.Sync()
}

func setReady(status string) func(p *gantryv1.Pod) {
	return func(p *gantryv1.Pod) { p.Status.Conditions = []*gantryv1.Condition{{Type: "Ready", Status: status}} }
}

// slicesOf returns the stored slices of a Service, by name.
func (f *fixture) slicesOf(svc string) []*gantryv1.EndpointSlice {
	var out []*gantryv1.EndpointSlice
	for _, o := range f.w.Objects(apimeta.KindEndpointSlice) {
		s := o.GetEndpointSlice()
		if s.GetMetadata().GetLabels()[LabelServiceName] == svc {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetMetadata().GetName() < out[j].GetMetadata().GetName() })
	return out
}

// podNames returns the target pod names of a slice, sorted.
func podNames(s *gantryv1.EndpointSlice) []string {
	var out []string
	for _, ep := range s.GetEndpoints() {
		out = append(out, ep.GetTargetRef().GetName())
	}
	sort.Strings(out)
	return out
}

// allPods returns every endpoint's pod over the slices, failing the test
// on a duplicate or an over-full slice.
func (f *fixture) allPods(svc string, max int) []string {
	f.t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, s := range f.slicesOf(svc) {
		if len(s.GetEndpoints()) > max {
			f.t.Fatalf("slice %s has %d endpoints, max %d", s.GetMetadata().GetName(), len(s.GetEndpoints()), max)
		}
		for _, n := range podNames(s) {
			if seen[n] {
				f.t.Fatalf("pod %s in two slices", n)
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func names(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%03d", prefix, i))
	}
	return out
}

func sizes(ss []*gantryv1.EndpointSlice) string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprint(len(s.GetEndpoints())))
	}
	return strings.Join(out, ",")
}

func portsString(s *gantryv1.EndpointSlice) string {
	var out []string
	for _, p := range s.GetPorts() {
		out = append(out, fmt.Sprintf("%s/%s/%d", p.GetName(), p.GetProtocol(), p.GetPort()))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func webService() *gantryv1.Service {
	return newService("web", map[string]string{"app": "web"}, svcPort("http", 80, "8080"))
}
