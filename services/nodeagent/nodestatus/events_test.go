package nodestatus

import (
	"context"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

func TestStartingAndReadyChangesAreRecorded(t *testing.T) {
	api := &blockingAPI{inFlight: make(chan struct{}), release: make(chan struct{}), wrote: make(chan struct{}, 10)}
	close(api.release)
	rec := events.NewFake(10)
	cfg := DefaultConfig()
	var hosts []string
	cfg.Interval, cfg.Flush = time.Hour, 5*time.Millisecond
	cfg.Recorder = func(node string) events.Recorder { hosts = append(hosts, node); return rec }
	m := New(cfg, api, []Node{{Name: "n1"}}, zap.NewNop())
	if err := m.SetCondition("n1", "Ready", Condition{Reason: "KubeletNotReady"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Register(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-api.wrote
	if err := m.SetCondition("n1", "Ready", Condition{Status: true, Reason: "KubeletReady"}); err != nil {
		t.Fatal(err)
	}
	<-api.wrote
	// An unchanged Ready records nothing. (Writes are sequential, and the
	// API sees a write before the manager records its result: the
	// second write here makes sure the first was settled.)
	for _, other := range []bool{true, false} {
		if err := m.SetCondition("n1", "Other", Condition{Status: other}); err != nil {
			t.Fatal(err)
		}
		<-api.wrote
	}
	want := "[Normal Starting Starting node agent. Normal NodeNotReady Node n1 status is now: NodeNotReady " +
		"Normal NodeReady Node n1 status is now: NodeReady]"
	if got := fmt.Sprint(rec.Drain()); got != want {
		t.Errorf("events %s\nwant %s", got, want)
	}
	if fmt.Sprint(hosts) != "[n1 n1 n1]" {
		t.Errorf("recorders asked for %v, want n1's for each event", hosts)
	}
}

// echoAPI accepts every write and shows each status it writes to the
// manager before answering, as the agent's watch of its Node can under
// load: the stored object arrives before the write's own answer.
type echoAPI struct {
	m     *Manager
	wrote chan *gantryv1.NodeStatus
}

func (a *echoAPI) Batch(_ context.Context, in *gantryv1.BatchRequest, _ ...grpc.CallOption) (*gantryv1.BatchResponse, error) {
	resp := &gantryv1.BatchResponse{}
	for _, op := range in.GetOps() {
		if c := op.GetCreate(); c != nil {
			c.GetNode().Metadata.Uid = "uid-" + c.GetNode().GetMetadata().GetName()
			resp.Results = append(resp.Results, &gantryv1.BatchResult{Object: c})
			continue
		}
		n := op.GetUpdateStatus().GetNode()
		a.m.ObserveStatus(n.GetMetadata().GetName(), n.GetStatus())
		resp.Results = append(resp.Results, &gantryv1.BatchResult{Object: op.GetUpdateStatus()})
		a.wrote <- n.GetStatus()
	}
	return resp, nil
}

func (a *echoAPI) Get(context.Context, string, string, string) (*gantryv1.Object, error) {
	panic("not used")
}

func (a *echoAPI) Update(context.Context, *gantryv1.Object) (*gantryv1.Object, error) {
	panic("not used")
}

// The agent's own status, seen through its watch before the write that
// stored it has answered, is not someone else's: Ready's change is
// recorded (NodeReady), and nothing is written again.
func TestOwnStatusSeenBeforeTheWriteAnswers(t *testing.T) {
	api := &echoAPI{wrote: make(chan *gantryv1.NodeStatus, 10)}
	rec := events.NewFake(10)
	cfg := DefaultConfig()
	cfg.Interval, cfg.Flush = time.Hour, 5*time.Millisecond
	cfg.Recorder = func(string) events.Recorder { return rec }
	m := New(cfg, api, []Node{{Name: "n1"}}, zap.NewNop())
	api.m = m
	if err := m.SetCondition("n1", "Ready", Condition{Reason: "KubeletNotReady"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Register(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-api.wrote
	if err := m.SetCondition("n1", "Ready", Condition{Status: true, Reason: "KubeletReady"}); err != nil {
		t.Fatal(err)
	}
	if got := readyOf(<-api.wrote); got != "True/KubeletReady" {
		t.Fatalf("second write: Ready %s", got)
	}
	select {
	case s := <-api.wrote:
		t.Fatalf("the agent's own status, seen early, was taken for someone else's and written again (Ready %s)", readyOf(s))
	case <-time.After(100 * time.Millisecond): // proving a non-event
	}
	want := "[Normal Starting Starting node agent. Normal NodeNotReady Node n1 status is now: NodeNotReady " +
		"Normal NodeReady Node n1 status is now: NodeReady]"
	if got := fmt.Sprint(rec.Drain()); got != want {
		t.Errorf("events %s\nwant %s", got, want)
	}
}
