package nodelifecycle

import (
	"context"
	"slices"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/taints"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const grace = 40 * time.Second

// fixture is a world of nodes with leases and a controller that has
// begun leading; tests call reconcile by hand at the times they choose.
type fixture struct {
	t *testing.T
	w *ctrltest.World
	c *Controller
	// agentClock is the node agents' clock: deliberately far from the
	// controller's, which must never compare the two.
	agentClock time.Time
}

func newFixture(t *testing.T, cfg Config, nodes ...string) *fixture {
	t.Helper()
	w := ctrltest.NewWorld()
	w.AutoSync = true
	f := &fixture{t: t, w: w, agentClock: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}
	c, err := New(cfg, Deps{Client: w, Nodes: w.Cache(apimeta.KindNode), Leases: w.Cache(apimeta.KindLease),
		Pods: w.Cache(apimeta.KindPod), Clock: w.Clock}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	for _, n := range nodes {
		f.addNode(n)
	}
	return f
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.GracePeriod = grace
	return cfg
}

// addNode seeds a Ready node and its lease.
func (f *fixture) addNode(name string) {
	f.w.Seed(apimeta.Wrap(&gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: name}, Spec: &gantryv1.NodeSpec{},
		Status: &gantryv1.NodeStatus{Conditions: []*gantryv1.Condition{{Type: ConditionReady, Status: StatusTrue,
			Reason: "KubeletReady", LastHeartbeatTime: timestamppb.New(f.agentClock)}}}}))
	f.w.Seed(apimeta.Wrap(&gantryv1.Lease{Metadata: &gantryv1.ObjectMeta{Namespace: LeaseNamespace, Name: name},
		Spec: &gantryv1.LeaseSpec{HolderIdentity: name, RenewTime: timestamppb.New(f.agentClock)}}))
}

// renew renews node's lease as its agent would: with the agent's clock.
func (f *fixture) renew(names ...string) {
	for _, name := range names {
		f.agentClock = f.agentClock.Add(time.Second)
		f.w.Mutate(apimeta.KindLease, LeaseNamespace, name, func(o *gantryv1.Object) {
			o.GetLease().Spec.RenewTime = timestamppb.New(f.agentClock)
		})
	}
}

// setReady posts the Ready condition as the agent would (a new heartbeat).
func (f *fixture) setReady(name, status string) {
	f.agentClock = f.agentClock.Add(time.Second)
	f.w.Mutate(apimeta.KindNode, "", name, func(o *gantryv1.Object) {
		c := readyCondition(o.GetNode())
		c.Status, c.Reason, c.Message, c.LastHeartbeatTime = status, "Agent", "", timestamppb.New(f.agentClock)
	})
}

func (f *fixture) step(d time.Duration) { f.w.Clock.Step(d) }

func (f *fixture) reconcile(names ...string) {
	f.t.Helper()
	for _, n := range names {
		if err := f.c.Reconcile(context.Background(), n); err != nil {
			f.t.Fatalf("reconcile %s: %v", n, err)
		}
	}
}

// settle reconciles the nodes until their writes stop (each reconcile
// makes one write), at most a few rounds.
func (f *fixture) settle(names ...string) {
	f.t.Helper()
	for range 4 {
		f.reconcile(names...)
	}
}

func (f *fixture) node(name string) *gantryv1.Node {
	return f.w.Object(apimeta.KindNode, "", name).GetNode()
}

// taintKeys returns the node's NoExecute taints.
func (f *fixture) taintKeys(name string) []string {
	var out []string
	for _, t := range f.node(name).GetSpec().GetTaints() {
		if t.GetEffect() == taints.NoExecute {
			out = append(out, t.GetKey())
		}
	}
	return out
}

func (f *fixture) wantTaints(name string, want ...string) {
	f.t.Helper()
	if got := f.taintKeys(name); !slices.Equal(got, want) {
		f.t.Fatalf("node %s NoExecute taints = %v, want %v", name, got, want)
	}
}

func (f *fixture) wantReady(name, status string) {
	f.t.Helper()
	if got := readyStatus(f.node(name)); got != status {
		f.t.Fatalf("node %s Ready = %q, want %q", name, got, status)
	}
}

func seconds(s int64) *int64 { return &s }

func tolerate(key string, secs *int64) *gantryv1.Toleration {
	return &gantryv1.Toleration{Key: key, Operator: "Exists", Effect: taints.NoExecute, TolerationSeconds: secs}
}

// addPod seeds a pod bound to node.
func (f *fixture) addPod(name, node string, tols ...*gantryv1.Toleration) {
	f.w.Seed(apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		Spec: &gantryv1.PodSpec{NodeName: node, Tolerations: tols}}))
}

// livePods returns the names of the pods not deleted (nor being deleted).
func (f *fixture) livePods() []string {
	var out []string
	for _, o := range f.w.Objects(apimeta.KindPod) {
		if o.GetPod().GetMetadata().GetDeletionTimestamp() == nil {
			out = append(out, o.GetPod().GetMetadata().GetName())
		}
	}
	slices.Sort(out)
	return out
}

func (f *fixture) wantPods(want ...string) {
	f.t.Helper()
	slices.Sort(want)
	if got := f.livePods(); !slices.Equal(got, want) {
		f.t.Fatalf("live pods = %v, want %v", got, want)
	}
}
