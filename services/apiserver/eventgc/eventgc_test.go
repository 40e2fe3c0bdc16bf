package eventgc_test

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
	"github.com/gantryio/gantry/services/apiserver/eventgc"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// rcWriter adapts the gRPC stub to eventgc.Writer; before passes the
// request to a hook first.
type rcWriter struct {
	rc     gantryv1.ResourceServiceClient
	before func(*gantryv1.BatchRequest)
}

func (w rcWriter) Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	if w.before != nil {
		w.before(req)
	}
	return w.rc.Batch(ctx, req, grpc.WaitForReady(true))
}

func noGC(c *apiserver.Config) { c.EventGC.TTL, c.EventGC.MaxEvents = 0, 0 }

func event(name string, last, eventTime *timestamppb.Timestamp) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Event{Event: &gantryv1.Event{
		Metadata:       &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		InvolvedObject: &gantryv1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "p"},
		Reason:         "Tested", Type: "Normal", Count: 1, LastTimestamp: last, EventTime: eventTime,
	}}}
}

func create(t *testing.T, rc gantryv1.ResourceServiceClient, o *gantryv1.Object) *gantryv1.Object {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := rc.Create(ctx, &gantryv1.CreateRequest{Object: o}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatalf("create %s: %v", o.GetEvent().GetMetadata().GetName(), err)
	}
	return resp.GetObject()
}

func names(t *testing.T, rc gantryv1.ResourceServiceClient) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := rc.List(ctx, &gantryv1.ListRequest{Kind: "Event", Namespace: "default"}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range resp.GetItems() {
		out = append(out, o.GetEvent().GetMetadata().GetName())
	}
	sort.Strings(out)
	return out
}

func collector(t *testing.T, c *testutil.Cluster, cfg eventgc.Config, w rcWriter) *eventgc.Collector {
	l := c.Leader()
	w.rc = l.Resource
	return eventgc.New(cfg, l.Server().Store(), w, zaptest.NewLogger(t))
}

func TestSweepDeletesPastTTL(t *testing.T) {
	c := testutil.NewCluster(t, 1, noGC)
	rc := c.Leader().Resource
	now := time.Now()
	later := timestamppb.New(now.Add(2 * time.Hour))
	create(t, rc, event("old-last", timestamppb.New(now), nil))
	create(t, rc, event("old-created", nil, nil))
	create(t, rc, event("fresh-last", later, nil))
	create(t, rc, event("fresh-eventtime", timestamppb.New(now), later))
	cfg := eventgc.DefaultConfig()
	cfg.MaxEvents = 0
	cfg.Now = func() time.Time { return now.Add(61 * time.Minute) }
	n, err := collector(t, c, cfg, rcWriter{}).Sweep(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Sweep: %d deleted, %v; want 2", n, err)
	}
	if got := fmt.Sprint(names(t, rc)); got != "[fresh-eventtime fresh-last]" {
		t.Errorf("left %s", got)
	}
	// Within the TTL nothing goes.
	cfg.Now = time.Now
	if n, err := collector(t, c, cfg, rcWriter{}).Sweep(context.Background()); err != nil || n != 0 {
		t.Errorf("second sweep: %d, %v; want 0", n, err)
	}
}

func TestSweepCapsTheNumberOldestFirst(t *testing.T) {
	c := testutil.NewCluster(t, 1, noGC)
	rc := c.Leader().Resource
	base := time.Now()
	for i := 1; i <= 5; i++ {
		create(t, rc, event(fmt.Sprintf("e%d", i), timestamppb.New(base.Add(time.Duration(i)*time.Second)), nil))
	}
	cfg := eventgc.DefaultConfig()
	cfg.TTL, cfg.MaxEvents, cfg.BatchSize = 0, 3, 1 // one delete per Batch: the batching loop runs too
	n, err := collector(t, c, cfg, rcWriter{}).Sweep(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Sweep: %d, %v; want 2", n, err)
	}
	if got := fmt.Sprint(names(t, rc)); got != "[e3 e4 e5]" {
		t.Errorf("left %s, want the 3 newest", got)
	}
}

// An Event bumped after the sweep read it is not deleted: the delete's
// resource_version precondition fails.
func TestSweepSparesAnEventChangedMeanwhile(t *testing.T) {
	c := testutil.NewCluster(t, 1, noGC)
	rc := c.Leader().Resource
	now := time.Now()
	create(t, rc, event("a", timestamppb.New(now), nil))
	b := create(t, rc, event("b", timestamppb.New(now), nil))
	cfg := eventgc.DefaultConfig()
	cfg.MaxEvents = 0
	cfg.Now = func() time.Time { return now.Add(2 * time.Hour) }
	bump := func(*gantryv1.BatchRequest) {
		b.GetEvent().Count = 2
		b.GetEvent().LastTimestamp = timestamppb.New(now.Add(2 * time.Hour))
		if _, err := rc.Update(context.Background(), &gantryv1.UpdateRequest{Object: b}); err != nil {
			t.Errorf("bump b: %v", err)
		}
	}
	n, err := collector(t, c, cfg, rcWriter{before: bump}).Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Sweep: %d, %v; want 1", n, err)
	}
	if got := fmt.Sprint(names(t, rc)); got != "[b]" {
		t.Errorf("left %s, want [b]", got)
	}
}

// The leader enforces the cap by itself, and so does the next leader.
func TestLeaderEnforcesTheCapAcrossFailover(t *testing.T) {
	var offset atomic.Int64 // the leaders' clock, ahead of the real one
	c := testutil.NewCluster(t, 3, func(cfg *apiserver.Config) {
		cfg.EventGC.MaxEvents, cfg.EventGC.Interval, cfg.EventGC.Check = 5, 100*time.Millisecond, 20*time.Millisecond
		cfg.EventGC.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	base := time.Now()
	rc := c.Leader().Resource
	for i := 1; i <= 12; i++ {
		create(t, rc, event(fmt.Sprintf("e%02d", i), timestamppb.New(base.Add(time.Duration(i)*time.Second)), nil))
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if got := fmt.Sprint(names(t, rc)); got != "[e08 e09 e10 e11 e12]" {
			return fmt.Errorf("events %s, want the 5 newest", got)
		}
		return nil
	})
	old := c.Leader()
	c.Crash(old)
	rc = c.Leader().Resource
	for i := 13; i <= 15; i++ {
		create(t, rc, event(fmt.Sprintf("e%02d", i), timestamppb.New(base.Add(time.Duration(i)*time.Second)), nil))
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if got := fmt.Sprint(names(t, rc)); got != "[e11 e12 e13 e14 e15]" {
			return fmt.Errorf("after failover: events %s, want the 5 newest", got)
		}
		return nil
	})
	// And the TTL: an hour and a bit later, everything but one event
	// seen in the future has expired.
	create(t, rc, event("future", timestamppb.New(time.Now().Add(3*time.Hour)), nil))
	offset.Store(int64(61*time.Minute + time.Duration(15)*time.Second))
	testutil.Eventually(t, 10*time.Second, func() error {
		if got := fmt.Sprint(names(t, rc)); got != "[future]" {
			return fmt.Errorf("after the TTL: events %s, want [future]", got)
		}
		return nil
	})
}
