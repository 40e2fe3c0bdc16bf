package nodeipam

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestCIDRSetArithmetic(t *testing.T) {
	s, err := newCIDRSet("10.244.7.9/16", 24)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]string{0: "10.244.0.0/24", 1: "10.244.1.0/24", 255: "10.244.255.0/24"} {
		if got := s.prefixAt(i).String(); got != want {
			t.Errorf("prefixAt(%d) = %s, want %s", i, got, want)
		}
		if j, err := s.indexOf(netip.MustParsePrefix(want)); err != nil || j != i {
			t.Errorf("indexOf(%s) = %d, %v", want, j, err)
		}
	}
	for _, bad := range []string{"10.245.0.0/24", "10.244.1.0/25", "10.244.1.128/24", "fd00::/24"} {
		if _, err := s.indexOf(netip.MustParsePrefix(bad)); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("indexOf(%s) = %v, want ErrOutOfRange", bad, err)
		}
	}
	v6, err := newCIDRSet("fd00:10::/48", 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := v6.prefixAt(0x1234).String(); got != "fd00:10:0:1234::/64" {
		t.Errorf("v6 prefixAt = %s", got)
	}
	for _, c := range []struct {
		cidr string
		mask int
	}{{"10.0.0.0/16", 8}, {"10.0.0.0/16", 33}, {"10.0.0.0/8", 25}, {"nonsense", 24}} {
		if _, err := newCIDRSet(c.cidr, c.mask); err == nil {
			t.Errorf("newCIDRSet(%s, %d) accepted", c.cidr, c.mask)
		}
	}
}

func TestCIDRSetNeverHandsOutTwice(t *testing.T) {
	s, _ := newCIDRSet("10.0.0.0/30", 32)
	seen := map[netip.Prefix]bool{}
	for _, n := range []string{"a", "b", "c", "d"} {
		p, err := s.allocate(n)
		if err != nil || seen[p] {
			t.Fatalf("allocate(%s) = %s, %v (seen: %v)", n, p, err, seen[p])
		}
		seen[p] = true
		if again, _ := s.allocate(n); again != p {
			t.Fatalf("a holder's second allocate gave %s, want its %s", again, p)
		}
	}
	if _, err := s.allocate("e"); !errors.Is(err, ErrFull) {
		t.Fatalf("allocate on a full set: %v", err)
	}
	if err := s.occupy(netip.MustParsePrefix("10.0.0.1/32"), "e"); !errors.Is(err, ErrTaken) {
		t.Fatalf("occupy of b's subnet by e: %v", err)
	}
	freed, ok := s.release("b")
	if !ok {
		t.Fatal("release(b) found nothing")
	}
	if p, err := s.allocate("e"); err != nil || p != freed {
		t.Fatalf("allocate after release = %s, %v; want %s", p, err, freed)
	}
}

type fixture struct {
	t *testing.T
	w *ctrltest.World
	c *Controller
}

func newFixture(t *testing.T, cidr string, mask int, seed ...*gantryv1.Object) *fixture {
	t.Helper()
	w := ctrltest.NewWorld()
	w.Seed(seed...) // before the controller: its handlers see none of these
	cfg := DefaultConfig()
	cfg.ClusterCIDR, cfg.NodeMaskSize = cidr, mask
	c, err := New(cfg, Deps{Client: w, Nodes: w.Cache(apimeta.KindNode), Clock: w.Clock}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go c.batcher.Run(ctx)
	t.Cleanup(func() { cancel(); c.queue.ShutDown() })
	return &fixture{t: t, w: w, c: c}
}

// start does what Run does before its workers: rebuild the used set.
func (f *fixture) start() {
	for _, n := range f.c.nodes.List() {
		f.c.observe(n)
	}
}

// drain reconciles queued nodes until none is left.
func (f *fixture) drain() (errs []error) {
	for round := 0; round < 20; round++ {
		f.w.Sync()
		if f.c.queue.Len() == 0 {
			return errs
		}
		for f.c.queue.Len() > 0 {
			name, _ := f.c.queue.Get()
			if err := f.c.reconcile(context.Background(), name); err != nil {
				errs = append(errs, err)
			}
			f.c.queue.Done(name)
		}
	}
	return errs
}

func node(name, cidr string) *gantryv1.Object {
	n := &gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: name}, Spec: &gantryv1.NodeSpec{}}
	if cidr != "" {
		n.Spec.PodCidr, n.Spec.PodCidrs = cidr, []string{cidr}
	}
	return apimeta.Wrap(n)
}

func (f *fixture) cidrs() map[string]string {
	out := map[string]string{}
	for _, o := range f.w.Objects(apimeta.KindNode) {
		n := o.GetNode()
		out[n.GetMetadata().GetName()] = n.GetSpec().GetPodCidr()
	}
	return out
}

func TestAllocatesDistinctCIDRsAroundExistingOnes(t *testing.T) {
	f := newFixture(t, "10.244.0.0/16", 24, node("old1", "10.244.0.0/24"), node("old2", "10.244.2.0/24"))
	f.start()
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		f.w.Seed(node(n, ""))
	}
	if errs := f.drain(); len(errs) > 0 {
		t.Fatal(errs)
	}
	seen := map[string]string{}
	for name, cidr := range f.cidrs() {
		if cidr == "" {
			t.Fatalf("node %s has no pod CIDR", name)
		}
		if other, dup := seen[cidr]; dup {
			t.Fatalf("%s given to %s and %s", cidr, other, name)
		}
		seen[cidr] = name
	}
	if seen["10.244.0.0/24"] != "old1" || seen["10.244.2.0/24"] != "old2" {
		t.Fatalf("existing CIDRs moved: %v", seen)
	}
	for _, o := range f.w.Objects(apimeta.KindNode) {
		n := o.GetNode()
		if len(n.GetSpec().GetPodCidrs()) != 1 || n.GetSpec().GetPodCidrs()[0] != n.GetSpec().GetPodCidr() {
			t.Fatalf("node %s podCIDRs %v", n.GetMetadata().GetName(), n.GetSpec().GetPodCidrs())
		}
	}
	if f.w.Batches() == 0 {
		t.Fatal("node updates did not go through Batch")
	}
}

func TestReleaseOnDeleteAndFull(t *testing.T) {
	f := newFixture(t, "10.0.0.0/23", 24)
	f.start()
	f.w.Seed(node("a", ""), node("b", ""))
	f.drain()
	f.w.Seed(node("c", ""))
	if errs := f.drain(); len(errs) > 0 {
		t.Fatalf("errors %v: a full cluster CIDR is not an error to retry", errs)
	}
	if got := f.cidrs()["c"]; got != "" {
		t.Fatalf("c got %s from a full set", got)
	}
	aCIDR := f.cidrs()["a"]
	if _, err := f.w.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: "Node", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	f.w.Sync() // the release queues c again
	if f.c.queue.Len() != 1 {
		t.Fatalf("%d queued after a release, want the waiting node", f.c.queue.Len())
	}
	if errs := f.drain(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := f.cidrs()["c"]; got != aCIDR {
		t.Fatalf("c got %q, want a's released %s", got, aCIDR)
	}
}

func TestFailedWriteKeepsTheReservation(t *testing.T) {
	f := newFixture(t, "10.244.0.0/16", 24)
	f.start()
	fails := 1
	f.w.Fail = func(a ctrltest.Action) error {
		if a.Verb == "update" && fails > 0 {
			fails--
			return status.Error(codes.Unavailable, "outcome unknown")
		}
		return nil
	}
	f.w.Seed(node("a", ""))
	if errs := f.drain(); len(errs) != 1 {
		t.Fatalf("errors %v, want one failed write", errs)
	}
	f.w.Seed(node("b", ""))
	f.c.queue.Add("a")
	if errs := f.drain(); len(errs) > 0 {
		t.Fatal(errs)
	}
	got := f.cidrs()
	if got["a"] != "10.244.0.0/24" || got["b"] != "10.244.1.0/24" {
		t.Fatalf("CIDRs %v: a must keep the subnet reserved by its failed write", got)
	}
}

func TestStaleNodeIsNotOverwritten(t *testing.T) {
	f := newFixture(t, "10.244.0.0/16", 24)
	f.start()
	f.w.Seed(node("a", ""))
	// Someone else sets a CIDR; the cache has not seen it.
	f.w.Mutate(apimeta.KindNode, "", "a", func(o *gantryv1.Object) {
		o.GetNode().Spec.PodCidr, o.GetNode().Spec.PodCidrs = "10.244.9.0/24", []string{"10.244.9.0/24"}
	})
	name, _ := f.c.queue.Get()
	err := f.c.reconcile(context.Background(), name)
	f.c.queue.Done(name)
	if status.Code(errors.Unwrap(err)) != codes.Aborted {
		t.Fatalf("reconcile = %v, want ABORTED from the resource_version precondition", err)
	}
	if errs := f.drain(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := f.cidrs()["a"]; got != "10.244.9.0/24" {
		t.Fatalf("a has %s, want the CIDR set by the other writer", got)
	}
	if p, _ := f.c.set.allocate("z"); p.String() == "10.244.9.0/24" {
		t.Fatal("the other writer's CIDR was handed out again")
	}
}
